package dev.weft.internal.event;

import jdk.jfr.*;

/** A budget lent a task its grace after refusing it at the soft limit: the task's cleanup may go up to limit + grace. */
@Name("dev.weft.GraceUsed")
@Label("Grace Used")
@Category("dev.weft")
@Description("A Weft budget lent a task its grace allowance for cleanup")
@Throttle("1000/s")
@StackTrace(false)
public final class GraceUsedEvent extends Event {
    @Label("Budget") public String budget;
    @Label("Task") public String task;
    @Label("Grace") @DataAmount public long grace;
    @Label("Holders") @Description("Tasks holding this budget's grace now") public int holders;
}
