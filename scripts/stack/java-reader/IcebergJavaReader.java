// Iceberg Java as a witness of the tables we write: loads a table the way a Java engine would and reads
// every row with Iceberg's generic reader (IcebergGenerics.read(table).build()), printing one JSON line
// per row in the canonical text form of test/conformance/support/readers.ts: integers as decimal text,
// decimals digit for digit, dates as days and times/timestamps as µs since the epoch, binary and fixed as
// base64, floats as Python's repr, uuids as text, structs as objects, maps as [key, value] pairs.
//
//   metadata <metadata.json location>                 the table at that metadata file (StaticTable)
//   rest <catalog uri> <namespace.table>              through an Iceberg REST catalog; gs:// data is read
//                                                     from the GCS endpoint in DSI_STORAGE_EMULATOR_HOST
//   jdbc <catalog.db> <warehouse> <namespace.table>   through JdbcCatalog on a SQLite catalog database
//
// The type of each value is taken from the table's schema, not from the Java class the reader returns,
// so a value of the wrong kind fails loudly instead of printing something plausible.

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.BaseTable;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.StaticTableOperations;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopFileIO;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.ResolvingFileIO;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.rest.RESTCatalog;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

public class IcebergJavaReader {
  private static final OffsetDateTime EPOCH = OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

  public static void main(String[] args) throws Exception {
    if (args.length < 2) usage();
    Table table;
    switch (args[0]) {
      case "metadata":
        table = fromMetadataFile(args[1]);
        break;
      case "rest":
        if (args.length != 3) usage();
        table = throughRest(args[1], args[2]);
        break;
      case "jdbc":
        if (args.length != 4) usage();
        table = throughJdbc(args[1], args[2], args[3]);
        break;
      default:
        usage();
        return;
    }
    ObjectMapper json = new ObjectMapper();
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    Types.StructType struct = table.schema().asStruct();
    try (CloseableIterable<Record> rows = IcebergGenerics.read(table).build()) {
      for (Record row : rows) out.println(json.writeValueAsString(canonicalStruct(struct, row)));
    }
    out.flush();
  }

  private static void usage() {
    System.err.println(
        "usage: IcebergJavaReader metadata <metadata.json> | rest <uri> <ns.table> | jdbc <catalog.db> <warehouse> <ns.table>");
    System.exit(2);
  }

  private static Table fromMetadataFile(String location) {
    FileIO io = new HadoopFileIO(new Configuration());
    return new BaseTable(new StaticTableOperations(location, io), location);
  }

  private static Table throughRest(String uri, String table) {
    Map<String, String> props = new HashMap<>(gcsProperties());
    props.put(CatalogProperties.URI, uri);
    props.put(CatalogProperties.FILE_IO_IMPL, ResolvingFileIO.class.getName());
    RESTCatalog catalog = new RESTCatalog();
    catalog.setConf(new Configuration());
    catalog.initialize("rest", props);
    return catalog.loadTable(TableIdentifier.parse(table));
  }

  private static Table throughJdbc(String database, String warehouse, String table) {
    Map<String, String> props = new HashMap<>();
    props.put(CatalogProperties.URI, "jdbc:sqlite:" + database);
    props.put(CatalogProperties.WAREHOUSE_LOCATION, warehouse);
    // The embedded catalog writes the V1 schema (with iceberg_type); say so rather than let JdbcCatalog
    // guess, so a schema it does not expect is an error here.
    props.put("jdbc.schema-version", "V1");
    JdbcCatalog catalog = new JdbcCatalog();
    catalog.setConf(new Configuration());
    // catalog_name column: the embedded catalog's default, as PyIceberg's SqlCatalog is opened with.
    catalog.initialize("default", props);
    return catalog.loadTable(TableIdentifier.parse(table));
  }

  /** GCS FileIO on the storage emulator when one is given; the emulator checks no credentials. */
  private static Map<String, String> gcsProperties() {
    Map<String, String> props = new HashMap<>();
    String host = System.getenv("DSI_STORAGE_EMULATOR_HOST");
    if (host != null && !host.isEmpty()) {
      props.put("gcs.service.host", host);
      props.put("gcs.no-auth", "true");
      String project = System.getenv("GOOGLE_CLOUD_PROJECT");
      if (project != null) props.put("gcs.project-id", project);
    }
    return props;
  }

  private static Map<String, Object> canonicalStruct(Types.StructType type, Record record) {
    Map<String, Object> out = new LinkedHashMap<>();
    List<Types.NestedField> fields = type.fields();
    for (int i = 0; i < fields.size(); i++) {
      Types.NestedField field = fields.get(i);
      out.put(field.name(), canonical(field.type(), record.get(i)));
    }
    return out;
  }

  private static Object canonical(Type type, Object value) {
    if (value == null) return null;
    switch (type.typeId()) {
      case BOOLEAN:
        return ((Boolean) value) ? "true" : "false";
      case INTEGER:
        return Integer.toString((Integer) value);
      case LONG:
        return Long.toString((Long) value);
      case FLOAT:
        return pythonRepr(((Float) value).doubleValue());
      case DOUBLE:
        return pythonRepr((Double) value);
      case DECIMAL:
        // BigDecimal.toString and Python's str(Decimal) follow the same to-scientific-string rule.
        return ((BigDecimal) value).toString();
      case DATE:
        return Long.toString(((LocalDate) value).toEpochDay());
      case TIME:
        return Long.toString(((LocalTime) value).toNanoOfDay() / 1000);
      case TIMESTAMP:
        return Long.toString(ChronoUnit.MICROS.between(EPOCH, instant((Types.TimestampType) type, value)));
      case TIMESTAMP_NANO:
        return Long.toString(
            ChronoUnit.NANOS.between(EPOCH, instant((Types.TimestampNanoType) type, value)));
      case STRING:
        return value.toString();
      case UUID:
        // Our uuid columns are FIXED_LEN_BYTE_ARRAY(16) without Parquet's UUID logical type (see
        // shared/iceberg/TYPES.md), and the generic reader then hands out the 16 raw bytes instead of a
        // UUID. The bytes are the UUID's big-endian form, so they are read as one here; any other value
        // is an error.
        if (value instanceof byte[] && ((byte[]) value).length == 16) {
          ByteBuffer bytes = ByteBuffer.wrap((byte[]) value);
          return new UUID(bytes.getLong(), bytes.getLong()).toString();
        }
        return ((UUID) value).toString();
      case FIXED:
        return Base64.getEncoder().encodeToString((byte[]) value);
      case BINARY:
        {
          ByteBuffer buffer = ((ByteBuffer) value).duplicate();
          byte[] bytes = new byte[buffer.remaining()];
          buffer.get(bytes);
          return Base64.getEncoder().encodeToString(bytes);
        }
      case STRUCT:
        return canonicalStruct(type.asStructType(), (Record) value);
      case LIST:
        {
          Type element = type.asListType().elementType();
          List<Object> out = new ArrayList<>();
          for (Object e : (List<?>) value) out.add(canonical(element, e));
          return out;
        }
      case MAP:
        {
          Types.MapType map = type.asMapType();
          List<Object> out = new ArrayList<>();
          for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
            List<Object> pair = new ArrayList<>();
            pair.add(canonical(map.keyType(), e.getKey()));
            pair.add(canonical(map.valueType(), e.getValue()));
            out.add(pair);
          }
          return out;
        }
      default:
        throw new IllegalArgumentException("no canonical form for type " + type + ": " + value);
    }
  }

  /** timestamptz reads as OffsetDateTime, timestamp (no zone) as LocalDateTime: µs/ns count from UTC. */
  private static OffsetDateTime instant(Types.TimestampType type, Object value) {
    return type.shouldAdjustToUTC()
        ? (OffsetDateTime) value
        : ((LocalDateTime) value).atOffset(ZoneOffset.UTC);
  }

  private static OffsetDateTime instant(Types.TimestampNanoType type, Object value) {
    return type.shouldAdjustToUTC()
        ? (OffsetDateTime) value
        : ((LocalDateTime) value).atOffset(ZoneOffset.UTC);
  }

  /**
   * repr() of a Python float: the shortest digits that round-trip, in Python's fixed/exponent layout.
   * The digits are Double.toString's, which before Java 19 are now and then one longer than the shortest
   * (JDK-4511638): such a value would show as a mismatch against the other readers, never as a match.
   */
  static String pythonRepr(double d) {
    if (Double.isNaN(d)) return "nan";
    if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
    if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
    BigDecimal shortest = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
    String digits = shortest.unscaledValue().toString();
    // value = 0.<digits> × 10^point
    int point = digits.length() - shortest.scale();
    String sign = d < 0 ? "-" : "";
    if (point > -4 && point <= 16) {
      if (point <= 0) return sign + "0." + "0".repeat(-point) + digits;
      if (point >= digits.length()) return sign + digits + "0".repeat(point - digits.length()) + ".0";
      return sign + digits.substring(0, point) + "." + digits.substring(point);
    }
    int exponent = point - 1;
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    String exp = String.format("%02d", Math.abs(exponent));
    return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp;
  }
}
