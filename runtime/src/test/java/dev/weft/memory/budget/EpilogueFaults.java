package dev.weft.memory.budget;

import dev.weft.Task;
import dev.weft.TaskFailedException;
import dev.weft.TaskScope;
import dev.weft.TaskState;
import dev.weft.Weft;
import dev.weft.internal.task.TaskExtension;
import dev.weft.internal.task.TaskHandle;
import dev.weft.internal.task.TaskHooks;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs in a forked JVM ({@link ContainmentStressTest}): a task extension whose end-of-task event throws what the
 * heap or the stack would throw there ({@link OutOfMemoryError}, {@link StackOverflowError}), for tasks named
 * {@code oom-at-end*} or {@code soe-at-end*}, and a supervisor's handler that runs out of memory once. Each task
 * whose body ended must still be completed, its scope and its joiners must see it end, and nothing may hang.
 * Prints one {@code RESULT} line per scenario.
 */
public final class EpilogueFaults {
    private EpilogueFaults() {}

    /** Thrown by the extension (made beforehand, as the JVM's own are). */
    private static final OutOfMemoryError OOM = new OutOfMemoryError("Java heap space (injected at the task's end)");
    private static final StackOverflowError SOE = new StackOverflowError("injected at the task's end");
    private static final AtomicInteger GIVE_BACKS = new AtomicInteger();

    private static final TaskExtension FAULTY = new TaskExtension() {
        @Override
        public Throwable taskEnded(TaskHandle task, Throwable failure, Throwable cancelled) {
            if (task.name().startsWith("oom-at-end")) {
                throw OOM;
            }
            if (task.name().startsWith("soe-at-end")) {
                throw SOE;
            }
            return failure;
        }

        @Override
        public void taskScopeExited(TaskHandle task, TaskHandle.Scope scope) {}

        @Override
        public boolean isMemoryFailure(Throwable failure) {
            return false;
        }

        @Override
        public void outOfMemory() {
            GIVE_BACKS.incrementAndGet();
        }
    };

    /** Makes the runtime tell the extension of the current task's end. */
    private static void attach() {
        TaskHooks.currentTask().attachIfAbsent(new TaskHandle.Attachment() {});
    }

    public static void main(String[] args) throws Exception {
        TaskHooks.install(FAULTY);
        System.out.println("RESULT " + Weft.run(EpilogueFaults::scenarios));
        System.out.flush();
    }

    private static String scenarios() throws Exception {
        StringBuilder r = new StringBuilder();
        // 1. A body that returned, an epilogue that ran out of memory: the task fails with it, run() rethrows it
        //    and cancels the sibling, which waits for cancellation.
        try {
            TaskScope.run(scope -> {
                scope.spawn("sibling", () -> {
                    Weft.sleep(java.time.Duration.ofDays(1));
                    return 0;
                });
                return scope.spawn("oom-at-end", () -> {
                    attach();
                    return 1;
                });
            });
            r.append("run=returned");
        } catch (OutOfMemoryError e) {
            r.append("run=").append(e == OOM ? "OOM" : e.toString());
        }
        // 2. The same with a StackOverflowError, under a supervisor: a joiner sees the task fail, the handler is told.
        TaskScope.supervise(scope -> {
            Task<Integer> t = scope.spawn("soe-at-end", () -> {
                attach();
                return 1;
            });
            try {
                t.join();
                r.append(" join=returned");
            } catch (TaskFailedException e) {
                r.append(" join=").append(e.getCause() == SOE ? "SOE" : e.getCause().toString());
            }
            return null;
        }, (task, failure) -> r.append(" soe=").append(failure == SOE ? "SOE" : failure.toString()));
        // 3. A body that failed keeps its own failure when the epilogue then throws.
        try {
            TaskScope.run(scope -> scope.spawn("oom-at-end-after-failure", () -> {
                attach();
                throw new IllegalStateException("the body's failure");
            }));
            r.append(" failed=returned");
        } catch (IllegalStateException e) {
            r.append(" failed=").append(e.getMessage().replace(' ', '_'));
        }
        // 4. A supervisor's handler that runs out of memory once is told again; the scope ends.
        AtomicInteger told = new AtomicInteger();
        Task<?>[] faulty = new Task<?>[1];
        TaskScope.supervise(scope -> {
            faulty[0] = scope.spawn("fails", () -> {
                throw new IllegalArgumentException("x");
            });
            return null;
        }, (task, failure) -> {
            if (told.incrementAndGet() == 1) {
                throw OOM;
            }
        });
        r.append(" handlerTold=").append(told.get()).append(" state=").append(faulty[0].state() == TaskState.FAILED
                ? "FAILED" : faulty[0].state().toString());
        r.append(" giveBacks=").append(GIVE_BACKS.get() > 0 ? "yes" : "no");
        return r.toString();
    }
}
