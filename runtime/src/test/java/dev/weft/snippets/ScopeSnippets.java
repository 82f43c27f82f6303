package dev.weft.snippets;

import dev.weft.Channel;
import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.Weft;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Examples for {@code TaskScope}, {@code Task}, {@code ScopeBody}, {@code ScopeAction}, {@code TaskStatus}. */
public final class ScopeSnippets {
    private ScopeSnippets() {}

    static String fetch(String url) {
        Weft.sleep(Duration.ofMillis(1));
        return "<" + url + ">";
    }

    static int count(String what) {
        return what.length();
    }

    /** What the examples log (kept, not printed: the build log stays clean). */
    static final java.util.List<String> LOG = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    static void log(String line) {
        LOG.add(line);
    }

    /** The example of {@code Weft}'s class documentation. */
    public static int weftMain() {
        // @start region=weft-main
        int status = Weft.exitStatus(() -> Weft.run(() -> {
            TaskScope.run(scope -> {
                scope.spawn("tick", () -> Weft.sleep(Duration.ofMillis(10)));
            });
        }));
        // System.exit(status);      // 0, 1 (failure) or 130 (Ctrl-C)
        // @end
        return status;
    }

    /** {@code TaskScope}'s class documentation. */
    public static List<String> nursery() {
        // @start region=nursery
        List<String> pages = TaskScope.run(scope -> {
            Task<String> a = scope.spawn("fetch-a", () -> fetch("https://a.example"));
            Task<String> b = scope.spawn("fetch-b", () -> fetch("https://b.example"));
            return List.of(a.join(), b.join());
        });
        // @end
        return pages;
    }

    /** {@code Task}'s class documentation. */
    public static int join() {
        // @start region=join
        int total = TaskScope.run(scope -> {
            Task<Integer> a = scope.spawn("count-a", () -> count("a"));
            Task<Integer> b = scope.spawn("count-b", () -> count("b"));
            return a.join() + b.join();
        });
        // @end
        return total;
    }

    /** {@code ScopeAction}: a body with no result. */
    public static void voidBody() {
        // @start region=void-body
        TaskScope.run(scope -> {
            scope.spawn("cleanup-cache", () -> log("cache cleaned"));
            scope.spawn("flush-metrics", () -> log("metrics flushed"));
        });                                            // both finished here
        // @end
    }

    /** {@code ScopeBody}: a body with a result. */
    public static String valueBody() {
        // @start region=value-body
        String both = TaskScope.run(scope -> {
            Task<String> a = scope.spawn(() -> fetch("a"));
            return a.join() + fetch("b");
        });
        // @end
        return both;
    }

    /** {@code TaskScope.runOptional}. */
    public static String runOptional() {
        // @start region=run-optional
        Optional<String> page = TaskScope.runOptional(scope -> {
            scope.cancelScope().setDeadlineNs(Weft.nanoTime() + Duration.ofSeconds(2).toNanos());
            return scope.spawn(() -> fetch("https://slow.example")).join();
        });
        String shown = page.orElse("(timed out)");     // empty: the scope's own deadline cancelled it
        // @end
        return shown;
    }

    /** {@code TaskScope.firstSuccess}. */
    public static String firstSuccess() {
        // @start region=first-success
        String page = TaskScope.firstSuccess(
                () -> fetch("https://mirror-a.example"),
                () -> fetch("https://mirror-b.example"));  // the slower one is cancelled
        // @end
        return page;
    }

    /** {@code TaskScope.start} and {@code TaskStatus}. */
    public static String start() {
        // @start region=start
        Channel<String> requests = Channel.create(16);
        String served = TaskScope.run(scope -> {
            int port = scope.start("server", status -> {
                int bound = 8080;                      // bind the socket ...
                status.started(bound);                 // ... then tell the starter: start() returns 8080
                log("served " + requests.receive());   // and go on serving in the scope
            });
            requests.send("GET / on port " + port);   // the server is listening by now
            return "port " + port;
        });
        // @end
        return served;
    }
}
