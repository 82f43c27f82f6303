package dev.weft.memory;

/**
 * A {@link MemoryPlan} does not fit its budget. The message is the plan's table: component, count, size
 * each, total, against the available room, and the verdict.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=plan-exception}
 */
public final class MemoryPlanException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final transient MemoryPlan plan;

    MemoryPlanException(MemoryPlan plan, String table) {
        super(table);
        this.plan = plan;
    }

    /** The plan that did not fit. */
    public MemoryPlan plan() {
        return plan;
    }
}
