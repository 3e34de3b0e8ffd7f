package org.apache.iceberg.rest;

import java.lang.reflect.Method;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.gzip.GzipHandler;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;

// The Iceberg REST reference catalog server (RESTCatalogServer of iceberg-open-api 1.10.x), bound to
// 127.0.0.1 only: the stock main() listens on every interface and has no host setting. Same
// configuration as the stock server (CATALOG_WAREHOUSE, CATALOG_URI, CATALOG_* env vars) plus
// CATALOG_REST_PORT. It lives in the server's package to reach its package-private classes.
//
//   javac -cp iceberg-open-api-1.10.0.jar -d classes LoopbackRESTCatalogServer.java
//   CATALOG_WAREHOUSE=/abs/dir CATALOG_REST_PORT=18181 \
//     java -cp classes:iceberg-open-api-1.10.0.jar org.apache.iceberg.rest.LoopbackRESTCatalogServer
public class LoopbackRESTCatalogServer {
  public static void main(String[] args) throws Exception {
    RESTCatalogServer server = new RESTCatalogServer();
    Method init = RESTCatalogServer.class.getDeclaredMethod("initializeBackendCatalog");
    init.setAccessible(true);
    RESTCatalogServer.CatalogContext ctx = (RESTCatalogServer.CatalogContext) init.invoke(server);
    RESTCatalogAdapter adapter = new RESTServerCatalogAdapter(ctx);
    ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
    context.addServlet(new ServletHolder(new RESTCatalogServlet(adapter)), "/*");
    context.insertHandler(new GzipHandler());
    Server http = new Server();
    ServerConnector connector = new ServerConnector(http);
    connector.setHost("127.0.0.1");
    connector.setPort(Integer.parseInt(System.getenv().getOrDefault("CATALOG_REST_PORT", "8181")));
    http.addConnector(connector);
    http.setHandler(context);
    http.start();
    http.join();
  }
}
