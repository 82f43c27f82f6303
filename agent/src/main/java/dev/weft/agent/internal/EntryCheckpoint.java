package dev.weft.agent.internal;

import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeTransform;

/** Places one check at method entry, before the first instruction. */
final class EntryCheckpoint implements CodeTransform {
    private final Hook hook;
    private final MethodStats stats;

    EntryCheckpoint(Hook hook, MethodStats stats) {
        this.hook = hook;
        this.stats = stats;
    }

    @Override
    public void atStart(CodeBuilder cb) {
        hook.emit(cb);
        stats.entries++;
    }

    @Override
    public void accept(CodeBuilder cb, CodeElement e) {
        cb.with(e);
    }
}
