package dev.weft.jetty.internal;

import dev.weft.Channel;
import dev.weft.ChannelClosedException;
import dev.weft.TaskScope;
import dev.weft.Weft;
import java.util.function.BiConsumer;

/**
 * Runs work submitted from any thread (Jetty's selector and pool threads) as children of one supervising Weft
 * task: a bounded channel of submissions, and a loop in the supervising task that spawns each as a child on the
 * runtime's stealing pool. A child's failure goes to the error handler and cancels nothing else.
 *
 * <p>Things that don't work: spawning from the submitting thread. A scope takes children only from its owner and
 * its descendants; Jetty's threads are neither. Solution: the submitting thread hands the work over a channel, and
 * the owner spawns it.
 *
 * <h2>Thread safety</h2>
 * {@link #trySubmit} and {@link #close} from any thread; {@link #run} from one Weft task, once.
 */
public final class Supervisor {
    private final Channel<Runnable> submissions;
    private final BiConsumer<String, Throwable> errorHandler;

    public Supervisor(int submitMax, BiConsumer<String, Throwable> errorHandler) {
        this.submissions = Channel.create(submitMax);
        this.errorHandler = errorHandler;
    }

    /** Hands {@code work} to the supervising task; false when the channel is full or closed. Never blocks. */
    public boolean trySubmit(Runnable work) {
        try {
            return submissions.trySend(work);
        } catch (ChannelClosedException e) {
            return false;
        }
    }

    /** Submissions waiting to be spawned. */
    public int pending() {
        return submissions.size();
    }

    /**
     * Spawns the submissions as children until {@link #close} (then returns when every child ended) or until the
     * calling task is cancelled (every child is cancelled; returns after their cleanup, raising {@code Cancelled}).
     */
    public void run() {
        TaskScope.supervise(scope -> {
            while (true) {
                Runnable work;
                try {
                    work = submissions.receive();
                } catch (ChannelClosedException e) {
                    return null;
                }
                scope.spawnOn(Weft.stealingPool(), "jetty-request", () -> {
                    work.run();
                    return null;
                });
            }
        }, (task, failure) -> errorHandler.accept("weft-jetty task " + task.name(), failure));
    }

    /** No more submissions; {@link #run} returns once the children end. Idempotent. */
    public void close() {
        submissions.close();
    }
}
