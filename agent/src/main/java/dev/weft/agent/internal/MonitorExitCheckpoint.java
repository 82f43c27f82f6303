package dev.weft.agent.internal;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Instruction;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.MonitorInstruction;

/**
 * Places a check just after a {@code monitorexit} that releases this method's last monitor on the ordinary path,
 * so that a cancellation held back inside a {@code synchronized} block is delivered at the first point outside.
 * Exits on exception paths (javac's handler that releases the monitor and rethrows) get no check: it would replace
 * the exception in flight.
 */
final class MonitorExitCheckpoint implements CodeTransform {
    private final Hook hook;
    private final MethodStats stats;
    private final FlowTracker flow;
    private boolean pending; // a monitorexit released the last monitor; check before the next instruction

    MonitorExitCheckpoint(Hook hook, MethodFacts facts, MethodStats stats) {
        this.hook = hook;
        this.stats = stats;
        this.flow = new FlowTracker(facts);
    }

    @Override
    public void accept(CodeBuilder cb, CodeElement e) {
        flow.before(e);
        if (pending && e instanceof Instruction) {
            // Placed before the next instruction, past the labels that end javac's "release and rethrow" range:
            // a check inside that range would run the handler, which releases the monitor a second time.
            pending = false;
            if (flow.normal() && flow.unlocked()) {
                hook.emit(cb);
                stats.afterMonitorExit++;
            }
        }
        boolean normalHere = flow.normal();
        cb.with(e);
        flow.after(e);
        if (e instanceof MonitorInstruction m && m.opcode() == Opcode.MONITOREXIT && normalHere && flow.unlocked()) {
            pending = true;
        }
    }
}
