package dev.weft.internal.cancel;

import java.util.concurrent.locks.ReentrantLock;

/** The example of {@link Park}'s class comment, compiled with the tests: a wait for a value under a lock. */
@SuppressWarnings("unused")
final class ParkSnippets {
    private ParkSnippets() {}

    private final ReentrantLock lock = new ReentrantLock();
    private final WaitQueue waiters = new WaitQueue();
    private Object value; // guarded by lock

    private boolean ready() {
        return value != null;
    }

    private Object take() {
        Object v = value;
        value = null;
        return v;
    }

    Object awaitValue(WaitingTask task) {
        // @start region=await
        WaitQueue.Node node = new WaitQueue.Node();
        while (true) {
            lock.lock();
            try {
                if (ready()) return take();
                waiters.add(node);                 // under the lock that guards ready()
            } finally {
                lock.unlock();
            }
            Park.await(task, node, Park.NO_DEADLINE, Park.CANCELLABLE);   // signalled, or Cancelled
            node.reset();
        }
        // @end
    }
}
