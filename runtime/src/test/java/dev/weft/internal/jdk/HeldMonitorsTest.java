package dev.weft.internal.jdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Vector;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The live stack walk sees a monitor held by any frame, on platform and virtual threads. */
class HeldMonitorsTest {
    @Test
    void seesMonitorsHeldByTheCallerAndByJdkCodeOnPlatformAndVirtualThreads() throws Exception {
        assertThat(HeldMonitors.available()).as("LiveStackFrame on this JDK: %s", HeldMonitors.missing()).isTrue();
        for (boolean virtual : new boolean[] {false, true}) {
            AtomicBoolean none = new AtomicBoolean(true);
            AtomicBoolean inBlock = new AtomicBoolean();
            AtomicBoolean inCaller = new AtomicBoolean();
            AtomicBoolean inJdkCallback = new AtomicBoolean();
            Runnable probe = () -> {
                none.set(HeldMonitors.heldByCurrentThread());
                Object lock = new Object();
                synchronized (lock) {
                    inBlock.set(HeldMonitors.heldByCurrentThread());
                }
                inCaller.set(lockedCaller());
                none.compareAndSet(false, HeldMonitors.heldByCurrentThread()); // after the block and the call
                new Vector<>(List.of(1)).forEach(x -> inJdkCallback.set(HeldMonitors.heldByCurrentThread()));
            };
            Thread t = virtual ? Thread.ofVirtual().start(probe) : Thread.ofPlatform().start(probe);
            t.join();
            assertThat(none).as("virtual=%s, nothing held", virtual).isFalse();
            assertThat(inBlock).as("virtual=%s, own block", virtual).isTrue();
            assertThat(inCaller).as("virtual=%s, a caller's synchronized method", virtual).isTrue();
            assertThat(inJdkCallback).as("virtual=%s, Vector.forEach's callback", virtual).isTrue();
        }
    }

    private static synchronized boolean lockedCaller() {
        return callee();
    }

    private static boolean callee() {
        return HeldMonitors.heldByCurrentThread();
    }
}
