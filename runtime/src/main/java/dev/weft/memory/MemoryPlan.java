package dev.weft.memory;

import dev.weft.internal.event.Jfr;
import dev.weft.internal.budget.ByteSizes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A startup memory plan: each component declares a bounded count times a sized footprint, and the plan is
 * committed at startup against a {@link MemoryBudget}. If it does not fit, startup fails with a readable
 * table; if it fits, the memory is reserved for the life of the process and pools can be preallocated from
 * it ({@link ObjectPool#fromPlan}).
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=memory-plan}
 *
 * <h2>Exceptions</h2>
 * {@link MemoryPlanException} from {@link #commit} when the plan does not fit the budget's free room (its
 * own and every ancestor's); {@link IllegalArgumentException} for negative counts or sizes, duplicate
 * names; {@link ArithmeticException} when a total overflows.
 *
 * <h2>Thread safety</h2>
 * A plan is immutable; a builder and a commitment belong to one thread at a time.
 */
public final class MemoryPlan {

    /**
     * One line of the plan.
     *
     * {@snippet class=dev.weft.snippets.MemorySnippets region=plan-components}
     *
     * @param name          the component
     * @param count         how many (the bound)
     * @param sizeBytesEach the footprint of one
     * @param totalBytes    {@code count * sizeBytesEach}
     */
    public record Component(String name, long count, long sizeBytesEach, long totalBytes) {}

    private final String name;
    private final List<Component> components;
    private final long totalBytes;

    private MemoryPlan(String name, List<Component> components) {
        this.name = name;
        this.components = List.copyOf(components);
        long t = 0;
        for (Component c : components) {
            t = Sizes.add(t, c.totalBytes());
        }
        this.totalBytes = t;
    }

    /** A builder for a plan called {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * Builds a {@link MemoryPlan}: one line per component, in declaration order.
     *
     * {@snippet class=dev.weft.snippets.MemorySnippets region=plan-builder}
     */
    public static final class Builder {
        private final String name;
        private final Map<String, Component> components = new LinkedHashMap<>();

        private Builder(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("plan name must be non-blank");
            }
            this.name = name;
        }

        /** Adds {@code count} objects of {@code sizeBytesEach} bytes each. */
        public Builder component(String componentName, long count, long sizeBytesEach) {
            if (componentName == null || componentName.isBlank()) {
                throw new IllegalArgumentException("component name must be non-blank");
            }
            if (count < 0 || sizeBytesEach < 0) {
                throw new IllegalArgumentException("component '" + componentName + "': count (" + count
                        + ") and size (" + sizeBytesEach + ") must be non-negative");
            }
            if (components.containsKey(componentName)) {
                throw new IllegalArgumentException("component '" + componentName + "' is already in plan '" + name
                        + "'; give each component one line (count x size)");
            }
            components.put(componentName, new Component(componentName, count, sizeBytesEach,
                    Sizes.multiply(count, sizeBytesEach)));
            return this;
        }

        /** Adds {@code count} objects the size of {@code prototype}'s committed maximum. */
        public Builder component(String componentName, long count, RuntimeStaticSized prototype) {
            if (prototype == null) {
                throw new NullPointerException("prototype is null; pass one instance built from the configuration");
            }
            return component(componentName, count, prototype.deepSizeBytesMax());
        }

        /**
         * Adds {@code count} task stacks of at most {@code stack.bytes()} each: the heap their virtual threads'
         * frozen stacks take in stack chunks, as {@link StackBound} bounds it (not {@code frameBytes()}: the chunks
         * hold more than the frames).
         *
         * @throws IllegalArgumentException if {@code stack} is not a bound ({@link StackBound#isBounded()}),
         *                                  naming its first unresolved site and the fix
         */
        public Builder stacks(String componentName, long count, StackBound stack) {
            if (stack == null) {
                throw new NullPointerException("stack is null; compute one with StackBound.analyser().analyse(...)");
            }
            if (!stack.isBounded()) {
                StackBound.Site first = stack.unresolved().isEmpty() ? null : stack.unresolved().get(0);
                throw new IllegalArgumentException("component '" + componentName + "': the stack of " + stack.entry()
                        + " has no bound (" + stack.unresolved().size() + " unresolved site(s)"
                        + (first == null ? "" : "; first: " + first.kind() + " at " + first.location() + ", fix: "
                        + first.fix()) + "); print stack.report() for all of them");
            }
            return component(componentName, count, stack.bytes());
        }

        /** The plan. */
        public MemoryPlan build() {
            return new MemoryPlan(name, new ArrayList<>(components.values()));
        }
    }

    /** The plan's name. */
    public String name() {
        return name;
    }

    /** The components, in declaration order. */
    public List<Component> components() {
        return components;
    }

    /** The sum of every component's total. */
    public long totalBytes() {
        return totalBytes;
    }

    /** Whether the plan fits in {@code availableBytes}. */
    public boolean fits(long availableBytes) {
        return totalBytes <= availableBytes;
    }

    /** The free room of {@code budget}: the least, over it and its ancestors, of limit minus used. */
    public static long availableBytes(MemoryBudget budget) {
        long free = Long.MAX_VALUE;
        for (MemoryBudget b = budget; b != null; b = b.parent()) {
            free = Math.min(free, b.limitBytesSoft() - b.usedBytes());
        }
        return Math.max(0, free);
    }

    /**
     * A readable table: component, count, size each, total, then the total against {@code availableBytes}
     * ({@code against} names it) and the verdict.
     */
    public String table(String against, long availableBytes) {
        int w = "component".length();
        for (Component c : components) {
            w = Math.max(w, c.name().length());
        }
        StringBuilder sb = new StringBuilder();
        sb.append("memory plan '").append(name).append("' against ").append(against).append('\n');
        String fmt = "  %-" + w + "s %12s %12s %12s%n";
        sb.append(String.format(Locale.ROOT, fmt, "component", "count", "size each", "total"));
        for (Component c : components) {
            sb.append(String.format(Locale.ROOT, fmt, c.name(), c.count(), ByteSizes.format(c.sizeBytesEach()),
                    ByteSizes.format(c.totalBytes())));
        }
        sb.append("  ").append("-".repeat(w + 39)).append('\n');
        sb.append(String.format(Locale.ROOT, fmt, "total", "", "", ByteSizes.format(totalBytes)));
        sb.append(String.format(Locale.ROOT, fmt, "available", "", "", ByteSizes.format(availableBytes)));
        if (fits(availableBytes)) {
            sb.append("  verdict: FITS (").append(ByteSizes.format(availableBytes - totalBytes)).append(" left)\n");
        } else {
            sb.append("  verdict: DOES NOT FIT (").append(ByteSizes.format(totalBytes - availableBytes))
                    .append(" over); lower a count, shrink a component, or raise the limit")
                    .append(" (-Dweft.memory.softLimit, weft run --soft-limit)\n");
        }
        return sb.toString();
    }

    /**
     * Commits the plan: reserves every component's total on {@code budget} (without grace) and returns the
     * commitment, which holds the reservations until closed.
     *
     * @throws MemoryPlanException with the table if the plan does not fit
     */
    public Commitment commit(MemoryBudget budget) {
        long available = availableBytes(budget);
        String against = "memory budget '" + budget.name() + "' (soft limit "
                + ByteSizes.format(budget.limitBytesSoft()) + ", " + ByteSizes.format(budget.usedBytes()) + " in use)";
        if (!fits(available)) {
            throw new MemoryPlanException(this, table(against, available));
        }
        Map<String, Reservation> held = new LinkedHashMap<>();
        for (Component c : components) {
            Reservation r = budget.tryReserve(c.totalBytes());
            if (r == null) {
                held.values().forEach(Reservation::close);
                long now = availableBytes(budget);
                throw new MemoryPlanException(this, table(against + " (changed while committing)", now));
            }
            held.put(c.name(), r);
        }
        if (Jfr.recording) {
            MemoryEvents.planCommitted(budget.name(), components.size(), totalBytes(), available);
        }
        return new Commitment(this, held);
    }

    /**
     * A committed plan: its reservations, held until {@link #close()}.
     *
     * {@snippet class=dev.weft.snippets.MemorySnippets region=plan-commit}
     */
    public static final class Commitment implements AutoCloseable {
        private final MemoryPlan plan;
        private final Map<String, Reservation> reservations;

        private Commitment(MemoryPlan plan, Map<String, Reservation> reservations) {
            this.plan = plan;
            this.reservations = reservations;
        }

        /** The plan. */
        public MemoryPlan plan() {
            return plan;
        }

        /** The component called {@code name}. */
        public Component component(String name) {
            for (Component c : plan.components) {
                if (c.name().equals(name)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("plan '" + plan.name + "' has no component '" + name
                    + "'; its components: " + plan.components.stream().map(Component::name).toList());
        }

        /** The reservation holding {@code name}'s total. */
        public Reservation reservation(String name) {
            component(name);
            return reservations.get(name);
        }

        /** Releases every reservation. Idempotent. */
        @Override
        public void close() {
            reservations.values().forEach(Reservation::close);
        }
    }

    @Override
    public String toString() {
        return "MemoryPlan[" + name + ", " + components.size() + " components, " + ByteSizes.format(totalBytes) + "]";
    }
}
