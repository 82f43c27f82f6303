package dev.weft.agent.internal;

/**
 * Where the agent compiles cancellation points into one method.
 *
 * <table>
 *   <caption>Policies</caption>
 *   <tr><th>Text</th><th>Entry</th><th>Back-edges</th></tr>
 *   <tr><td>{@code backedge}</td><td>methods recursive within their class</td><td>every backward branch (counted
 *       loops strip-mined)</td></tr>
 *   <tr><td>{@code backedge/N}</td><td>methods recursive within their class</td><td>every N-th backward branch,
 *       through a per-invocation counter</td></tr>
 *   <tr><td>{@code entry}</td><td>yes</td><td>as {@code backedge}</td></tr>
 *   <tr><td>{@code none}</td><td>no</td><td>no</td></tr>
 * </table>
 *
 * @param kind          which points get a check
 * @param backEdgeEvery for {@link Kind#BACKEDGE}: poll on every {@code backEdgeEvery}-th back-edge (1 = every one)
 */
public record Policy(Kind kind, int backEdgeEvery) {
    /** The policy kinds, named as in agent arguments. */
    public enum Kind { BACKEDGE, ENTRY, NONE }

    /** Largest accepted counter period: beyond it a tight loop would go unchecked for too long. */
    public static final int EVERY_MAX = 1 << 20;

    public static final Policy BACKEDGE = new Policy(Kind.BACKEDGE, 1);
    public static final Policy ENTRY = new Policy(Kind.ENTRY, 1);
    public static final Policy NONE = new Policy(Kind.NONE, 1);

    public Policy {
        if (backEdgeEvery < 1 || backEdgeEvery > EVERY_MAX) {
            throw new IllegalArgumentException("back-edge period " + backEdgeEvery + " is out of range; use 1.."
                    + EVERY_MAX + " (for example backedge/64)");
        }
    }

    /**
     * Parses {@code backedge}, {@code backedge/N}, {@code entry} or {@code none} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the bad text and the accepted forms
     */
    public static Policy parse(String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        switch (t) {
            case "backedge": return BACKEDGE;
            case "entry": return ENTRY;
            case "none": return NONE;
            default: break;
        }
        if (t.startsWith("backedge/")) {
            String n = t.substring("backedge/".length());
            try {
                return new Policy(Kind.BACKEDGE, Integer.parseInt(n));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad back-edge period '" + n + "' in policy '" + text
                        + "'; write a whole number, for example backedge/64");
            }
        }
        throw new IllegalArgumentException("unknown policy '" + text
                + "'; use one of backedge, backedge/N (N a whole number), entry, none");
    }

    /** True if this policy compiles in any check at all. */
    public boolean instruments() {
        return kind != Kind.NONE;
    }

    /** True if every method entry gets a check (recursive methods get one under any policy that checks). */
    public boolean atEntry() {
        return kind == Kind.ENTRY;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case BACKEDGE -> backEdgeEvery == 1 ? "backedge" : "backedge/" + backEdgeEvery;
            case ENTRY -> "entry";
            case NONE -> "none";
        };
    }
}
