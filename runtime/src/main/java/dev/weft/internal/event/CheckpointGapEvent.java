package dev.weft.internal.event;

import jdk.jfr.*;

/**
 * A task held its loop's carrier longer than the threshold without reaching a cancellation point: the code in the
 * stack is what to instrument (run it under the agent) or to give a {@code Cancellation.checkpoint()}. Found by a
 * sampler that runs only while this event is enabled (its period), never on the checkpoint path; the duration is the
 * gap seen, from the first sample that found the task mounted (up to one period less than the real gap).
 */
@Name("dev.weft.CheckpointGap")
@Label("Checkpoint Gap")
@Category("dev.weft")
@Description("A Weft task ran longer than the threshold without reaching a cancellation point")
@Period("10 ms")
@Threshold("20 ms")
@StackTrace(false)
public final class CheckpointGapEvent extends Event {
    @Label("Task") public String task;
    @Label("Task Thread") public Thread taskThread;
    @Label("Loop") public String loop;
    @Label("Carrier CPU Time") @Description("CPU time the loop's carrier thread used in the gap (-1: not measured)")
    @Timespan(Timespan.NANOSECONDS) public long carrierCpuTime;
    @Label("Stack") @Description("Where the task ran when sampled, innermost frame first") public String stack;
}
