package dev.weft.agent.internal;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.MonitorInstruction;

/**
 * Counts the monitors the current task holds, so that no compiled check throws inside one, even a check in a method
 * called from inside a {@code synchronized} block (a method's own checks already stay out of its locked regions,
 * but its callees' do not).
 *
 * <p>Emits {@code monitorEntered()} just after each {@code monitorenter} (a {@code null} lock throws before it
 * counts) and {@code monitorExited()} just before each {@code monitorexit}, on every path including javac's
 * "release and rethrow" handlers, so the count stays balanced whichever way a block ends. A {@code synchronized}
 * method gets {@code monitorEntered()} at entry, {@code monitorExited()} before each return, and a catch-all
 * handler that calls {@code monitorExited()} and rethrows; the handler is appended last in the exception table,
 * so the method's own handlers still see their exceptions first.
 *
 * <p>Things that don't work: asking the JVM whether the thread holds a monitor. {@code Thread.holdsLock} needs the
 * object; {@code ThreadMXBean} does not describe virtual threads; {@code Continuation.isPinned} answers true for
 * reasons other than monitors. Solution: this counter, one static call per monitor operation, which is small next
 * to the monitor operation itself; the check's fast path is unchanged.
 */
final class MonitorDepth implements CodeTransform {
    private final Hook hook;
    private final boolean synchronizedMethod;
    private final MethodStats stats;
    private Label start;

    MonitorDepth(Hook hook, boolean synchronizedMethod, MethodStats stats) {
        this.hook = hook;
        this.synchronizedMethod = synchronizedMethod;
        this.stats = stats;
    }

    @Override
    public void atStart(CodeBuilder cb) {
        if (synchronizedMethod) {
            hook.emitMonitorEntered(cb);
            start = cb.newBoundLabel();
            stats.monitorsCounted++;
        }
    }

    @Override
    public void accept(CodeBuilder cb, CodeElement e) {
        if (e instanceof MonitorInstruction m) {
            if (m.opcode() == Opcode.MONITORENTER) {
                cb.with(e);
                hook.emitMonitorEntered(cb);
                stats.monitorsCounted++;
            } else {
                hook.emitMonitorExited(cb); // stack-neutral: the lock stays on the operand stack
                cb.with(e);
            }
            return;
        }
        if (synchronizedMethod && e instanceof Instruction i && i.opcode().kind() == Opcode.Kind.RETURN) {
            hook.emitMonitorExited(cb);
        }
        cb.with(e);
    }

    @Override
    public void atEnd(CodeBuilder cb) {
        if (synchronizedMethod) {
            Label end = cb.newBoundLabel();
            Label handler = cb.newBoundLabel();
            hook.emitMonitorExited(cb);
            cb.athrow();
            cb.exceptionCatchAll(start, end, handler);
        }
    }
}
