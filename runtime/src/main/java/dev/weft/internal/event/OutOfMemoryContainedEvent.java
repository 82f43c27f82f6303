package dev.weft.internal.event;

import jdk.jfr.*;

/** A real {@code OutOfMemoryError} ended one task (as a {@code MemoryLimitError}) instead of the process. */
@Name("dev.weft.OutOfMemoryContained")
@Label("OutOfMemoryError Contained")
@Category("dev.weft")
@Description("A real OutOfMemoryError was contained to the task that raised it")
@StackTrace(false)
public final class OutOfMemoryContainedEvent extends Event {
    @Label("Task") public String task;
    @Label("Message") public String message;
}
