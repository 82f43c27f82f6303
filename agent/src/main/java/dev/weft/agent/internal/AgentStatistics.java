package dev.weft.agent.internal;

import dev.weft.internal.event.AgentInstrumentationEvent;
import dev.weft.internal.event.Jfr;
import java.util.concurrent.atomic.LongAdder;
import jdk.jfr.FlightRecorder;

/**
 * What the agent compiled so far, for the JFR event {@link AgentInstrumentationEvent} (committed at the end of every
 * recording chunk, so a recording of a program under {@code weft run} ends with the agent's totals).
 *
 * <h2>Thread safety</h2>
 * The counters are added to by whichever thread loads a class; read by JFR's periodic thread.
 */
public final class AgentStatistics {
    private AgentStatistics() {}

    static final LongAdder INSTRUMENTED = new LongAdder();
    static final LongAdder SKIPPED = new LongAdder();
    static final LongAdder UNCHANGED = new LongAdder();
    static final LongAdder CHECKS = new LongAdder();
    static final LongAdder TRANSFORM_NS = new LongAdder();

    /** Registers the periodic event, the first time a recording runs (nothing is loaded before). At agent start. */
    public static void install() {
        Jfr.onFirstRecording(() -> FlightRecorder.addPeriodicEvent(AgentInstrumentationEvent.class,
                AgentStatistics::emit));
    }

    private static void emit() {
        AgentInstrumentationEvent e = new AgentInstrumentationEvent();
        if (!e.shouldCommit()) {
            return;
        }
        e.classesInstrumented = INSTRUMENTED.sum();
        e.classesSkipped = SKIPPED.sum();
        e.classesFailed = UNCHANGED.sum();
        e.checks = CHECKS.sum();
        e.transformTime = TRANSFORM_NS.sum();
        e.commit();
    }
}
