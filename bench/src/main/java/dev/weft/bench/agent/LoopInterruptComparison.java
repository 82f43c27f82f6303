package dev.weft.bench.agent;

import dev.weft.CancelScope;
import dev.weft.Weft;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * what stops a loop with no calls. For each loop ({@code spin}, {@code counted}) it runs the plain kernel
 * on a platform thread and on a virtual thread and calls {@code Thread.interrupt()}, then the instrumented kernel in
 * a Weft task and calls {@code CancelScope.cancel()}; each victim gets {@value #BOUND_MS} ms to stop. Prints one
 * line per case. Interrupted victims that never stop keep spinning on daemon threads until the program exits, so
 * the Weft cases run first.
 *
 * <p>Run with {@code java --add-opens java.base/java.lang=ALL-UNNAMED -cp bench/target/benchmarks.jar
 * dev.weft.bench.agent.LoopInterruptComparison}.
 */
public final class LoopInterruptComparison {
    private static final long BOUND_MS = 2_000;
    private static final VarHandle FLAGS = MethodHandles.arrayElementVarHandle(boolean[].class);

    private LoopInterruptComparison() {}

    public static void main(String[] args) throws Exception {
        KernelSuite plain = KernelLoader.load(null);
        KernelSuite instrumented = KernelLoader.load("");
        for (String loop : new String[] {"spin", "counted"}) {
            weftCancel(instrumented, loop);
        }
        for (String loop : new String[] {"spin", "counted"}) {
            interrupt(plain, loop, Thread.ofPlatform().daemon(true));
            interrupt(plain, loop, Thread.ofVirtual());
        }
        System.exit(0); // interrupted loops are still spinning
    }

    private static void run(KernelSuite k, String loop, boolean[] running) {
        if (loop.equals("spin")) {
            k.spin(running);
        } else {
            int[] data = new int[1024];
            while (true) {
                k.countedSpin(data, running);
            }
        }
    }

    private static void awaitRunning(boolean[] running) {
        long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BOUND_MS);
        while (!(boolean) FLAGS.getVolatile(running, 0)) {
            if (deadlineNs - System.nanoTime() < 0) {
                throw new IllegalStateException("the victim loop did not start within " + BOUND_MS + " ms");
            }
            Thread.onSpinWait();
        }
    }

    private static void interrupt(KernelSuite k, String loop, Thread.Builder builder) throws InterruptedException {
        boolean[] running = new boolean[1];
        Thread t = builder.start(() -> run(k, loop, running));
        awaitRunning(running);
        long t0 = System.nanoTime();
        t.interrupt();
        boolean stopped = t.join(java.time.Duration.ofMillis(BOUND_MS));
        System.out.printf("%-8s plain on a %-8s thread, Thread.interrupt(): %s%n", loop,
                t.isVirtual() ? "virtual" : "platform", stopped
                        ? "stopped after " + (System.nanoTime() - t0) / 1_000 + " us"
                        : "still running after " + BOUND_MS + " ms (interrupt status " + t.isInterrupted() + ")");
    }

    private static void weftCancel(KernelSuite k, String loop) throws Exception {
        boolean[] running = new boolean[1];
        AtomicLong stoppedNs = new AtomicLong();
        CancelScope[] scope = new CancelScope[1];
        Thread host = Thread.ofPlatform().daemon(true).start(() -> Weft.run(
                Weft.options().handleSigint(false).name("comparison"), () -> {
                    CancelScope s = CancelScope.create();
                    synchronized (scope) {
                        scope[0] = s;
                    }
                    s.run(() -> {
                        try {
                            run(k, loop, running);
                        } finally {
                            stoppedNs.set(System.nanoTime());
                        }
                    });
                    return null;
                }));
        awaitRunning(running);
        CancelScope s;
        synchronized (scope) {
            s = scope[0];
        }
        long t0 = System.nanoTime();
        s.cancel();
        host.join(java.time.Duration.ofMillis(BOUND_MS));
        long end = stoppedNs.get();
        System.out.printf("%-8s agent-instrumented in a Weft task,   CancelScope.cancel(): %s%n", loop, end != 0
                ? "Cancelled thrown, finally ran " + (end - t0) / 1_000 + " us after the cancel"
                : "still running after " + BOUND_MS + " ms");
    }
}
