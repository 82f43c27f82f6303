package dev.weft.processor.probe;

import java.lang.instrument.Instrumentation;

/** Java agent of the forked probe JVMs: hands {@link Instrumentation} to {@link LayoutProbe}. */
public final class ProbeAgent {
    static volatile Instrumentation instrumentation; // written once by premain, before main runs

    private ProbeAgent() {}

    /** Agent entry point. */
    public static void premain(String args, Instrumentation inst) {
        instrumentation = inst;
    }
}
