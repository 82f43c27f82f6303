package dev.weft;

import dev.weft.internal.loop.EventLoop;
import dev.weft.internal.loop.Scheduler;

/** The one implementation of {@link Loop}: a handle on an internal scheduler of one runtime. */
final class LoopImpl implements Loop {
    final RuntimeImpl runtime;
    final Scheduler scheduler;
    private final int index;

    LoopImpl(RuntimeImpl runtime, Scheduler scheduler, int index) {
        this.runtime = runtime;
        this.scheduler = scheduler;
        this.index = index;
    }

    @Override
    public String name() {
        return scheduler.name();
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public boolean isStealing() {
        return !(scheduler instanceof EventLoop);
    }

    @Override
    public String toString() {
        return "Loop[" + name() + "]";
    }
}
