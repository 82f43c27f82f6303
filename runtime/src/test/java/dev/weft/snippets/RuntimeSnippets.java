package dev.weft.snippets;

import dev.weft.Blocking;
import dev.weft.CancelScope;
import dev.weft.Cancellation;
import dev.weft.ContextVar;
import dev.weft.ExitStack;
import dev.weft.Loop;
import dev.weft.TaskScope;
import dev.weft.Uncancellable;
import dev.weft.VirtualClock;
import dev.weft.Weft;
import dev.weft.abi.AgentHooks;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/** Examples for {@code Loop}, {@code VirtualClock}, {@code Blocking}, {@code Cancellation}, contexts and more. */
@SuppressWarnings("try") // try-with-resources held for their effect while the body runs (a scope, a reservation, a binding)
public final class RuntimeSnippets {
    private RuntimeSnippets() {}

    static void work() {
        Cancellation.checkpoint();
    }

    static long crunch() {
        long s = 0;
        for (int i = 0; i < 1000; i++) {
            s += i;
        }
        return s;
    }

    /** What the examples log (kept, not printed: the build log stays clean). */
    static final java.util.List<String> LOG = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    static void log(String line) {
        LOG.add(line);
    }

    /** {@code Loop}'s class documentation (needs a runtime with two loops or more). */
    public static void loops() {
        // @start region=loops
        Weft.run(() -> {
            Loop other = Weft.loops().get(1);
            TaskScope.run(scope -> {
                scope.spawnOn(other, "on-loop-1", () -> work());             // start there
                scope.spawnOn(Weft.stealingPool(), "parallel", () -> crunch()); // or anywhere
            });
            Weft.moveTo(other);   // move the current task; its stack, context and scopes come along
        });
        // @end
    }

    /** {@code VirtualClock}'s class documentation. */
    public static boolean virtualClock() {
        return virtualClockWith(Weft.options());
    }

    static boolean virtualClockWith(Weft.Options options) {
        // @start region=virtual-clock
        VirtualClock clock = VirtualClock.create();
        boolean caught = Weft.run(options.clock(clock), () -> { // @replace substring="options" replacement="Weft.options()"
            CancelScope scope = CancelScope.withTimeout(Duration.ofSeconds(30));
            TaskScope.run(s -> {
                s.spawn(() -> clock.advance(Duration.ofSeconds(31)));
                scope.run(() -> Weft.sleep(Duration.ofHours(1)));   // cancelled at virtual 30 s
            });
            return scope.cancelledCaught();                          // true, at once
        });
        // @end
        return caught;
    }

    /** {@code Blocking}'s class documentation. */
    public static byte[] blocking(Path path) throws IOException {
        // @start region=blocking
        byte[] data = Blocking.call(() -> Files.readAllBytes(path));
        // @end
        return data;
    }

    /** {@code Cancellation}'s class documentation. */
    public static void checkpoint(List<String> rows) {
        // @start region=checkpoint
        for (String row : rows) {
            Cancellation.checkpoint();   // raises Cancelled here if the task was cancelled
            log(row);
        }
        // @end
    }

    // @start region=context-var
    static final ContextVar<String> REQUEST_ID = ContextVar.withDefault("request-id", "-");

    static void handle() {
        try (var binding = REQUEST_ID.bind("r-42")) {      // scoped: restored when the block ends
            TaskScope.run(scope -> {
                scope.spawn(() -> log(REQUEST_ID.get()));  // "r-42": the child got a snapshot at spawn
            });
        }
        ContextVar.Token<String> token = REQUEST_ID.set("r-43");   // or set and reset by token
        try {
            log(REQUEST_ID.get());
        } finally {
            REQUEST_ID.reset(token);
        }
    }
    // @end

    /** An account of the {@code Uncancellable} example. */
    interface Account {
        void withdraw(long cents);

        void deposit(long cents);
    }

    static final ReentrantLock lock = new ReentrantLock();

    // @start region=uncancellable
    @Uncancellable
    void transfer(Account from, Account to, long amountCents) {
        lock.lock();
        try {
            from.withdraw(amountCents);   // no compiled check between these two lines
            to.deposit(amountCents);
        } finally {
            lock.unlock();
        }
    }
    // @end

    /** A pooled connection of the {@code ExitStack} example. */
    interface Connection extends AutoCloseable {
    }

    /** The pool of the {@code ExitStack} example. */
    interface Pool {
        Connection open();
    }

    static void work(Connection c, Path tmp) {
        Cancellation.checkpoint();
    }

    /** {@code ExitStack}'s class documentation. */
    public static void exitStack(Pool pool) throws Exception {
        // @start region=exit-stack
        try (ExitStack stack = ExitStack.shielded(Duration.ofSeconds(5))) {
            Connection c = stack.push(pool.open());
            Path tmp = Files.createTempFile("weft", ".tmp");
            stack.callback(() -> Files.deleteIfExists(tmp));
            work(c, tmp);
        }   // tmp deleted, then c closed: even if work() was cancelled
        // @end
    }

    static volatile boolean running;

    /** {@code AgentHooks}' class documentation: what the agent compiles into a loop. */
    static void agentLoop(MethodHandles.Lookup lookup, byte[] bytes) throws IllegalAccessException {
        // @start region=agent-loop
        // what the agent makes of a loop in a class it compiles, written as Java
        while (running) {
            work();
            AgentHooks.poll();          // the back-edge check: one volatile read while nothing is cancelled
        }
        synchronized (lock) {
            AgentHooks.monitorEntered(); // no check throws while the monitor is held
            work();
            AgentHooks.monitorExited();
        }
        // lookup.defineHiddenClass(bytes, true) becomes:
        AgentHooks.defineHiddenClass(lookup, bytes, true); // the hidden class gets its checks too
        // @end
    }
}
