// Starts the Apache Iceberg REST reference catalog (RESTCatalogServer of iceberg-open-api) bound to one
// host instead of every interface. The reference server builds its Jetty server with `new Server(port)`,
// which listens on 0.0.0.0 and has no host option; this launcher builds the same pieces (the backend
// catalog from the CATALOG_* environment, the server's own adapter, the servlet, gzip) and puts them
// behind a connector on CATALOG_REST_HOST (default 127.0.0.1).
//
// The backend-catalog factory and the adapter are package-private in the pinned jar, so they are reached
// by reflection: that keeps the server's behaviour (CATALOG_* variables, SQLite default backend, warehouse
// handling, credential pass-through) exactly the reference one. The jar version is pinned by the stack,
// so these names do not move under us.
//
// Run with the source launcher: java -cp iceberg-open-api-<v>.jar LoopbackRestCatalog.java

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.HashMap;
import java.util.Map;
import org.apache.iceberg.rest.RESTCatalogAdapter;
import org.apache.iceberg.rest.RESTCatalogServlet;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.gzip.GzipHandler;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;

public class LoopbackRestCatalog {
  public static void main(String[] args) throws Exception {
    String host = env("CATALOG_REST_HOST", "127.0.0.1");
    int port = Integer.parseInt(env("CATALOG_REST_PORT", "8181"));

    Class<?> serverClass = Class.forName("org.apache.iceberg.rest.RESTCatalogServer");
    Constructor<?> serverConstructor = serverClass.getDeclaredConstructor(Map.class);
    serverConstructor.setAccessible(true);
    Object referenceServer = serverConstructor.newInstance(new HashMap<String, String>());

    Method initializeBackend = serverClass.getDeclaredMethod("initializeBackendCatalog");
    initializeBackend.setAccessible(true);
    Object catalogContext = initializeBackend.invoke(referenceServer);

    Class<?> contextClass = Class.forName("org.apache.iceberg.rest.RESTCatalogServer$CatalogContext");
    Class<?> adapterClass = Class.forName("org.apache.iceberg.rest.RESTServerCatalogAdapter");
    Constructor<?> adapterConstructor = adapterClass.getDeclaredConstructor(contextClass);
    adapterConstructor.setAccessible(true);
    RESTCatalogAdapter adapter = (RESTCatalogAdapter) adapterConstructor.newInstance(catalogContext);

    ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    context.addServlet(new ServletHolder(new RESTCatalogServlet(adapter)), "/*");
    context.insertHandler(new GzipHandler());

    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost(host);
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(context);
    server.start();
    System.out.println("Iceberg REST catalog listening on http://" + host + ":" + port);
    server.join();
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }
}
