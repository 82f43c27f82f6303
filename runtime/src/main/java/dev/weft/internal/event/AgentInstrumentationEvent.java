package dev.weft.internal.event;

import jdk.jfr.*;

/** What the Weft agent compiled so far: emitted at the start and end of every chunk while it runs. */
@Name("dev.weft.AgentInstrumentation")
@Label("Agent Instrumentation")
@Category("dev.weft")
@Description("Classes the Weft agent instrumented, skipped or left unchanged, and the checks it compiled in")
@Period("endChunk")
@StackTrace(false)
public final class AgentInstrumentationEvent extends Event {
    @Label("Classes Instrumented") public long classesInstrumented;
    @Label("Classes Skipped") public long classesSkipped;
    @Label("Classes Failed") @Description("Classes the agent could not compile and loaded unchanged") public long classesFailed;
    @Label("Checks") @Description("Cancellation checks compiled in") public long checks;
    @Label("Transform Time") @Timespan(Timespan.NANOSECONDS) public long transformTime;
}
