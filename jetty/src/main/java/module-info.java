/**
 * Weft for Jetty 12: {@link dev.weft.jetty.WeftJetty} runs each request of a Jetty server as a Weft task, with
 * admission, a deadline and disconnect cancellation. Machinery in {@code dev.weft.jetty.internal}, not exported.
 */
module dev.weft.jetty {
    requires transitive dev.weft;
    requires transitive org.eclipse.jetty.server;
    exports dev.weft.jetty;
}
