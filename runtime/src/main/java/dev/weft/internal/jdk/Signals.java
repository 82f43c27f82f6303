package dev.weft.internal.jdk;

import java.util.function.IntConsumer;

/**
 * SIGINT and SIGTERM handling through {@code sun.misc.Signal} (module jdk.unsupported), feature-detected.
 *
 * <p>Things that don't work: a shutdown hook runs after the JVM has decided to exit, too late to cancel
 * tasks and wait for their cleanup. Solution: replace the SIGINT handler while a root task runs.
 */
public final class Signals {
    private Signals() {}

    /**
     * Installs {@code handler} for SIGINT, returning an action that restores the previous handler, or
     * {@code null} when signals are unavailable (then Ctrl-C keeps the JVM's default behaviour).
     */
    public static Runnable onInterrupt(IntConsumer handler) {
        return on("INT", 2, handler);
    }

    /**
     * Installs {@code handler} for SIGTERM (what {@code kill} and container runtimes send), as
     * {@link #onInterrupt}; the handler gets 15.
     */
    public static Runnable onTerminate(IntConsumer handler) {
        return on("TERM", 15, handler);
    }

    private static Runnable on(String name, int number, IntConsumer handler) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object sigint = signalClass.getConstructor(String.class).newInstance(name);
            Object proxy = java.lang.reflect.Proxy.newProxyInstance(
                    Signals.class.getClassLoader(), new Class<?>[] {handlerClass}, (p, m, args) -> {
                        if (m.getName().equals("handle")) {
                            handler.accept(number);
                            return null;
                        }
                        return switch (m.getName()) {
                            case "hashCode" -> System.identityHashCode(p);
                            case "equals" -> p == args[0];
                            case "toString" -> "weft-sig" + name.toLowerCase(java.util.Locale.ROOT) + "-handler";
                            default -> null;
                        };
                    });
            var handle = signalClass.getMethod("handle", signalClass, handlerClass);
            Object previous = handle.invoke(null, sigint, proxy);
            return () -> {
                try {
                    handle.invoke(null, sigint, previous);
                } catch (ReflectiveOperationException ignored) {
                    // restoring is best effort
                }
            };
        } catch (Throwable t) {
            return null;
        }
    }
}
