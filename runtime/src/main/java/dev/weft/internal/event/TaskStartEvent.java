package dev.weft.internal.event;

import jdk.jfr.*;

/** A task started (off by default: one per spawn). Committed on the spawning thread. */
@Name("dev.weft.TaskStart")
@Label("Task Start")
@Category("dev.weft")
@Description("A Weft task was spawned and its virtual thread started")
@Enabled(false)
@StackTrace(false)
public final class TaskStartEvent extends Event {
    @Label("Task") public String task;
    @Label("Task Id") public long taskId;
    @Label("Parent Task") public String parentTask;
    @Label("Loop") public String loop;
    @Label("Task Thread") public Thread taskThread;
}
