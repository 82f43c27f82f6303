package dev.weft.snippets;

import dev.weft.CapacityLimiter;
import dev.weft.Channel;
import dev.weft.ChannelClosedException;
import dev.weft.Event;
import dev.weft.Select;
import dev.weft.TaskScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Examples for {@code Channel}, {@code Event}, {@code CapacityLimiter} and {@code Select}. */
public final class PrimitiveSnippets {
    private PrimitiveSnippets() {}

    static final List<String> HANDLED = new ArrayList<>();

    static void handle(String job) {
        HANDLED.add(job);
    }

    static String query(String sql) {
        return sql.toUpperCase(java.util.Locale.ROOT);
    }

    /** {@code Channel}'s class documentation. */
    public static void channel() {
        // @start region=channel
        Channel<String> jobs = Channel.create(16);
        TaskScope.run(scope -> {
            scope.spawn("producer", () -> {
                for (String j : List.of("a", "b", "c")) {
                    jobs.send(j);                      // waits while full
                }
                jobs.close();
            });
            scope.spawn("consumer", () -> {
                try {
                    while (true) {
                        handle(jobs.receive());        // waits while empty
                    }
                } catch (ChannelClosedException done) {
                    // closed and drained
                }
            });
        });
        // @end
    }

    /** {@code Event}'s class documentation. */
    public static void event() {
        // @start region=event
        Event configLoaded = Event.create();
        TaskScope.run(scope -> {
            scope.spawn("worker", () -> {
                configLoaded.await();                  // a cancellation point
                handle("work with the config");
            });
            handle("load the config");
            configLoaded.set();                        // wakes every waiter; later waits return at once
        });
        // @end
    }

    /** {@code CapacityLimiter}'s class documentation. */
    public static void limiter() {
        // @start region=limiter
        CapacityLimiter database = CapacityLimiter.create("database", 4);
        TaskScope.run(scope -> {
            for (int i = 0; i < 100; i++) {
                int n = i;
                scope.spawn("query-" + n, () -> {
                    String r = database.call(() -> query("select " + n));  // at most 4 at once
                    handle(r);
                });
            }
        });
        // @end
    }

    /** {@code Select}'s class documentation. */
    public static String select(Channel<String> jobs, Channel<Integer> control) {
        // @start region=select
        String next = Select.<String>create()
                .onReceive(control, code -> "control " + code)  // first clause: wins when both have one
                .onReceive(jobs, job -> "job " + job)
                .onTimeout(Duration.ofSeconds(1), () -> "idle")
                .await();                                  // a cancellation point
        // @end
        return next;
    }
}
