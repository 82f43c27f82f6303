package dev.weft.internal.event;

import jdk.jfr.*;

/** A reservation was refused with a {@code MemoryLimitError} (soft limit, grace exhausted, or the heap watchdog). */
@Name("dev.weft.MemoryLimit")
@Label("Memory Limit")
@Category("dev.weft")
@Description("A Weft budget refused a reservation with a MemoryLimitError")
@Throttle("1000/s")
public final class MemoryLimitEvent extends Event {
    @Label("Kind") public String kind;
    @Label("Budget") public String budget;
    @Label("Task") public String task;
    @Label("Requested") @DataAmount public long requested;
    @Label("Used") @DataAmount public long used;
    @Label("Soft Limit") @DataAmount public long limitSoft;
    @Label("Grace") @DataAmount public long grace;
}
