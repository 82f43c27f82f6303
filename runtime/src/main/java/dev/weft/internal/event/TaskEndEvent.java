package dev.weft.internal.event;

import jdk.jfr.*;

/** A task ended (off by default: one per task). Its duration is the task's life, start to end. */
@Name("dev.weft.TaskEnd")
@Label("Task End")
@Category("dev.weft")
@Description("A Weft task ended: succeeded, failed or cancelled; the duration is its lifetime")
@Enabled(false)
@StackTrace(false)
public final class TaskEndEvent extends Event {
    @Label("Task") public String task;
    @Label("Task Id") public long taskId;
    @Label("Outcome") public String outcome;
    @Label("Failure") public String failure;
    @Label("Lifetime") @Timespan(Timespan.NANOSECONDS) public long lifetime;
}
