package dev.weft;

/**
 * A task failed with a checked exception; the {@linkplain #getCause() cause} is that exception.
 *
 * <p>{@link Task#join()} throws it for every failure of the joined task; {@link TaskScope#run} throws it
 * when the first failure in the scope is a checked exception of a child (unchecked failures are rethrown
 * as they are). Further failures in the same scope are attached as {@linkplain #getSuppressed()
 * suppressed} exceptions.
 */
public final class TaskFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String taskName;

    TaskFailedException(String taskName, Throwable cause) {
        super("task '" + taskName + "' failed: " + cause, cause);
        this.taskName = taskName;
    }

    TaskFailedException(String taskName, String message, Throwable cause) {
        super(message, cause);
        this.taskName = taskName;
    }

    /** The name of the task that failed. */
    public String taskName() {
        return taskName;
    }
}
