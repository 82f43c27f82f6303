/**
 * Weft's HTTP/1.1 server: {@link dev.weft.http}. Connections and handlers are Weft tasks; the server's memory
 * is a committed {@link dev.weft.memory.MemoryPlan}; parsing and generation are Jetty's ({@code jetty-http}).
 * Machinery in {@code dev.weft.http.internal}, not exported.
 */
// HdrHistogram's jar names no module: an automatic module named after the jar, which this module requires knowingly
@SuppressWarnings("requires-automatic")
module dev.weft.http {
    requires transitive dev.weft;
    requires org.eclipse.jetty.http;
    // the load generator's histograms (dev.weft.http.internal.load; an automatic module named after its jar)
    requires HdrHistogram;
    // weft demo reports the heap it sampled (dev.weft.http.internal.demo)
    requires java.management;
    requires jdk.management; // the heap after each collection (com.sun.management.GcInfo)
    requires jdk.jfr; // admission refusals as JFR events (dev.weft.internal.event)
    exports dev.weft.http;
    // the example endpoints, outside dev.weft.** so that the Weft agent instruments them (it never touches Weft)
    exports example.http;
}
