package dev.weft.internal.event;

import jdk.jfr.*;

/** A task in its grace went past limit + grace: it is cancelled and every further reservation refused. */
@Name("dev.weft.GraceExhausted")
@Label("Grace Exhausted")
@Category("dev.weft")
@Description("A Weft task overran its grace allowance; it is cancelled")
@Throttle("1000/s")
public final class GraceExhaustedEvent extends Event {
    @Label("Budget") public String budget;
    @Label("Task") public String task;
    @Label("Requested") @DataAmount public long requested;
    @Label("Used") @DataAmount public long used;
}
