package example;

import dev.weft.Blocking;
import dev.weft.CancelScope;
import dev.weft.CapacityLimiter;
import dev.weft.Channel;
import dev.weft.DeadlineExceededException;
import dev.weft.Event;
import dev.weft.Select;
import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.Weft;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Trio (and Kotlin, and {@code StructuredTaskScope}) to Weft, one construct per step; each step prints what it
 * showed. {@code docs/coming-from.md} has the table this follows.
 *
 * <pre>
 * java --add-opens java.base/java.lang=ALL-UNNAMED -cp weft-runtime-0.1.0.jar:target/classes example.TrioTour
 * </pre>
 */
public final class TrioTour {
    private TrioTour() {}

    public static void main(String[] args) {
        System.exit(Weft.exitStatus(() -> tour(Weft.options()).forEach(System.out::println)));
    }

    /** Runs the tour in a new runtime and returns what each step printed. */
    public static List<String> tour(Weft.Options options) {
        List<String> out = Collections.synchronizedList(new ArrayList<>());
        Weft.run(options, () -> {
            // async with trio.open_nursery() as nursery: nursery.start_soon(...)   /   coroutineScope { launch { } }
            TaskScope.run(scope -> {
                Task<String> a = scope.spawn("a", () -> fetch("a", 20));
                Task<String> b = scope.spawn("b", () -> fetch("b", 10));
                out.add("nursery: " + a.join() + b.join());
            });

            // with trio.move_on_after(0.05):   /   withTimeoutOrNull(50) { }
            CancelScope moved = CancelScope.moveOnAfter(Duration.ofMillis(50), () -> Weft.sleep(Duration.ofHours(1)));
            out.add("move_on_after: cancelled caught = " + moved.cancelledCaught());
            Optional<String> orEmpty = CancelScope.withTimeout(Duration.ofMillis(50))
                    .callOptional(() -> fetch("slow", 3_600_000));
            out.add("withTimeoutOrNull: " + orEmpty.orElse("(empty)"));

            // with trio.fail_after(0.05):   /   withTimeout(50) { }
            try {
                CancelScope.failAfter(Duration.ofMillis(50), () -> fetch("slow", 3_600_000));
            } catch (DeadlineExceededException e) {
                out.add("fail_after: " + e.getClass().getSimpleName());
            }

            // with trio.CancelScope(shield=True):   /   withContext(NonCancellable) { }
            CancelScope outer = CancelScope.create();
            outer.run(() -> {
                outer.cancel();
                CancelScope.shielded(Duration.ofSeconds(5), () -> {
                    Weft.sleep(Duration.ofMillis(5)); // a cancellation point, but the shield hides the cancel
                    out.add("shield: cleanup slept although its scope was cancelled");
                });
            });

            // await nursery.start(serve)  (task_status.started(port))
            Channel<String> requests = Channel.create(4);
            TaskScope.run(scope -> {
                int port = scope.start("server", status -> {
                    status.started(8080);
                    out.add("start: served " + requests.receive());
                });
                out.add("start: listening on " + port);
                requests.send("GET /");
            });

            // trio.Event()   /   CompletableDeferred<Unit>
            Event ready = Event.create();
            TaskScope.run(scope -> {
                scope.spawn("waiter", () -> {
                    ready.await();
                    out.add("event: the waiter woke");
                });
                ready.set();
            });

            // trio.CapacityLimiter(2)   /   Semaphore(2).withPermit { }
            CapacityLimiter limiter = CapacityLimiter.create("db", 2);
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            TaskScope.run(scope -> {
                for (int i = 0; i < 6; i++) {
                    scope.spawn("query-" + i, () -> limiter.run(() -> {
                        most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        Weft.sleep(Duration.ofMillis(5));
                        inside.decrementAndGet();
                    }));
                }
            });
            out.add("CapacityLimiter: at most " + most.get() + " at once");

            // trio.open_memory_channel(4); with trio.move_on_after(...): await receive()   /   withTimeoutOrNull
            Channel<String> quiet = Channel.create(4);
            out.add("receive with a timeout: " + quiet.receive(Duration.ofMillis(20)).orElse("(nothing)"));

            // Kotlin select { jobs.onReceive { }; control.onReceive { } }
            Channel<String> jobs = Channel.create(4);
            Channel<String> control = Channel.create(4);
            control.send("stop");
            String picked = Select.<String>create()
                    .onReceive(jobs, job -> "job " + job)
                    .onReceive(control, cmd -> "control " + cmd)
                    .await();
            out.add("select: " + picked);

            // supervisorScope { }: a child's failure cancels nothing
            TaskScope.supervise(scope -> {
                scope.spawn("flaky", () -> {
                    throw new IOException("flaky failed");
                });
                scope.spawn("steady", () -> out.add("supervise: steady finished"));
            }, (task, e) -> out.add("supervise: handler got '" + e.getMessage() + "'"));

            // StructuredTaskScope.Joiner.anySuccessfulResultOrThrow()
            String first = TaskScope.firstSuccess(
                    () -> {
                        throw new IOException("mirror-a is down");
                    },
                    () -> fetch("mirror-b", 10));
            out.add("firstSuccess: " + first);

            // withContext(Dispatchers.IO) { }   /   await trio.to_thread.run_sync(...)
            String fromPool = Blocking.call(() -> Thread.currentThread().isVirtual() ? "a task" : "a pool thread");
            out.add("Blocking.call ran on " + fromPool);
        });
        return out;
    }

    static String fetch(String what, long ms) {
        Weft.sleep(Duration.ofMillis(ms));
        return what;
    }
}
