package dev.weft.internal.cancel;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link WaitQueueLincheckTest}'s operations on a real {@link WaitQueue}; loaded by {@link IsolatedClasses}, so it
 * refers to nothing of the test class but its shared {@link WaitQueueLincheckTest.Ops} interface.
 */
public final class WaitQueueDriver implements WaitQueueLincheckTest.Ops {
    private static final int THREADS = 4;
    private static final int MAX_NODES = 16;

    private final WaitQueue queue = new WaitQueue();
    /** nodes[t][i]: thread t's i-th node; written by thread t before it enqueues, read by wakers after it. */
    private final WaitQueue.Node[][] nodes = new WaitQueue.Node[THREADS][MAX_NODES];
    /** added[t]: written by thread t only. */
    private final int[] added = new int[THREADS];

    @Override
    public String add(int tid) {
        WaitQueue.Node n = new WaitQueue.Node();
        if (n.thread != Thread.currentThread()) {
            throw new AssertionError("a node belongs to the thread that created it");
        }
        int i = added[tid]++;
        nodes[tid][i] = n;
        queue.add(n);
        return name(tid, i);
    }

    @Override
    public Boolean removeOwn(int tid) {
        int i = added[tid] - 1;
        return i < 0 ? null : queue.remove(nodes[tid][i]);
    }

    @Override
    public Boolean signalledOwn(int tid) {
        int i = added[tid] - 1;
        return i < 0 ? null : nodes[tid][i].isSignalled();
    }

    @Override
    public String signalOne() {
        WaitQueue.Node n = queue.signalOne();
        return n == null ? null : nameOf(n);
    }

    @Override
    public List<String> signalAll() {
        List<String> names = new ArrayList<>();
        for (WaitQueue.Node n : queue.signalAll()) {
            names.add(nameOf(n));
        }
        return names;
    }

    @Override
    public int size() {
        return queue.size();
    }

    @Override
    public boolean isEmpty() {
        return queue.isEmpty();
    }

    /** The node's name; a node a signal returned unsignalled, or that is still queued, is named as such. */
    private String nameOf(WaitQueue.Node n) {
        String state = !n.isSignalled() ? "unsignalled " : n.queue != null ? "still queued " : "";
        for (int t = 0; t < THREADS; t++) {
            for (int i = 0; i < MAX_NODES; i++) {
                if (nodes[t][i] == n) {
                    return state + name(t, i);
                }
            }
        }
        return state + "unknown node";
    }

    private static String name(int tid, int i) {
        return "t" + tid + "." + i;
    }
}
