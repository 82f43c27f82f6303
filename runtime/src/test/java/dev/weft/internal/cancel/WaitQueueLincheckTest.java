package dev.weft.internal.cancel;

import java.util.ArrayList;
import java.util.List;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.junit.jupiter.api.Test;

/**
 * Model checking of {@link WaitQueue}: any thread adds its own nodes, removes them (a waiter leaving), or signals
 * the oldest / all waiters. A node is named {@code "t<thread>.<n>"}: the n-th node its thread added.
 *
 * <p>Each thread creates its nodes inside the operation ({@code add} asserts the node belongs to the current
 * thread); Lincheck passes the thread's index ({@link ThreadIdGen}) so the sequential specification can name the
 * same nodes. The signalled flag is checked through the {@code removeOwn} result (false exactly when a waker took
 * the node), {@code signalledOwn}, and the flag of every node a signal returns.
 *
 * <p>Lincheck's model checker emulates monitors: the JVM does not see the thread owning {@code WaitQueue}'s monitor
 * inside its {@code synchronized} methods, so {@code unlink}'s {@code assert Thread.holdsLock(this)} would fail.
 * The operations therefore run on a copy of Weft's classes ({@link IsolatedClasses}, see {@link WaitQueueDriver})
 * with assertions off for {@code WaitQueue}; the driver makes {@code add}'s node-ownership assertion itself.
 */
@Param(name = "tid", gen = ThreadIdGen.class)
public class WaitQueueLincheckTest {
    static final int THREADS = 4; // the initial and post parts run on the first thread

    /** The operations, implemented by {@link WaitQueueDriver} in the isolated loader. */
    public interface Ops {
        String add(int tid);

        Boolean removeOwn(int tid);

        Boolean signalledOwn(int tid);

        String signalOne();

        List<String> signalAll();

        int size();

        boolean isEmpty();
    }

    private final Ops ops = IsolatedClasses.newInstance(WaitQueueDriver.class, Ops.class);

    @Operation
    public String add(@Param(name = "tid") int tid) {
        return ops.add(tid);
    }

    /** Removes the thread's newest node (a waiter leaving without a signal); null if it added none. */
    @Operation
    public Boolean removeOwn(@Param(name = "tid") int tid) {
        return ops.removeOwn(tid);
    }

    /** Whether the thread's newest node was signalled; null if it added none. */
    @Operation
    public Boolean signalledOwn(@Param(name = "tid") int tid) {
        return ops.signalledOwn(tid);
    }

    @Operation
    public String signalOne() {
        return ops.signalOne();
    }

    @Operation
    public List<String> signalAll() {
        return ops.signalAll();
    }

    @Operation
    public int size() {
        return ops.size();
    }

    @Operation
    public boolean isEmpty() {
        return ops.isEmpty();
    }

    static String name(int tid, int i) {
        return "t" + tid + "." + i;
    }

    /** Sequential specification: a FIFO of node names, plus the nodes signalled. */
    public static class Spec {
        private final List<String> fifo = new ArrayList<>();
        private final List<String> signalled = new ArrayList<>();
        private final int[] added = new int[THREADS];

        public String add(int tid) {
            String n = name(tid, added[tid]++);
            fifo.add(n);
            return n;
        }

        public Boolean removeOwn(int tid) {
            return added[tid] == 0 ? null : fifo.remove(name(tid, added[tid] - 1));
        }

        public Boolean signalledOwn(int tid) {
            return added[tid] == 0 ? null : signalled.contains(name(tid, added[tid] - 1));
        }

        public String signalOne() {
            if (fifo.isEmpty()) {
                return null;
            }
            String n = fifo.remove(0);
            signalled.add(n);
            return n;
        }

        public List<String> signalAll() {
            List<String> all = new ArrayList<>(fifo);
            signalled.addAll(all);
            fifo.clear();
            return all;
        }

        public int size() {
            return fifo.size();
        }

        public boolean isEmpty() {
            return fifo.isEmpty();
        }
    }

    @Test
    void waitQueueIsLinearizableForWaitersLeavingAndWakersSignalling() {
        new ModelCheckingOptions()
                .iterations(6)
                .invocationsPerIteration(80)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .check(getClass());
    }
}
