package dev.weft.agent.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's options, parsed from the agent argument string and an optional config file.
 *
 * <p>Agent arguments are comma-separated items:
 * <ul>
 *   <li>{@code GLOB=POLICY}: a rule, for example {@code com.example.hot.**=backedge/64} or
 *       {@code com.example.Parser#parse=entry};</li>
 *   <li>{@code instrument=GLOB}: the rule {@code GLOB=<default policy>} (opts JDK packages in, for example
 *       {@code instrument=java.util.regex.**});</li>
 *   <li>{@code default=POLICY}: the policy of application classes no rule names ({@code backedge});</li>
 *   <li>{@code config=PATH}: a file of rules, one {@code GLOB=POLICY} (or {@code default=POLICY}) a line,
 *       {@code #} comments; arguments after it override it on a tie;</li>
 *   <li>{@code report=PATH} or {@code report=stderr}: one line per class looked at, saying what was done;</li>
 *   <li>{@code hook=call|inline}: how the check is emitted ({@code call});</li>
 *   <li>{@code chunk=N}: iterations per check in strip-mined counted loops; by default sized by the loop's
 *       body, a power of two from 1,024 to 8,192 so that a check covers about 131,072 instructions;</li>
 *   <li>{@code verify=true|false}: verify each transformed class before handing it to the JVM and load the
 *       original if it fails ({@code true});</li>
 *   <li>{@code stripmine=true|false}: strip-mine counted loops so the JIT can still vectorize them
 *       ({@code true}; {@code false} puts a check at every back-edge, for measurements);</li>
 *   <li>{@code recursion=true|false}: give methods that are recursive within their class an entry check under
 *       the {@code backedge} policies ({@code true}; {@link Recursion}), so recursion without loops can be
 *       cancelled;</li>
 *   <li>{@code cache=PATH} or {@code cache=off}: where compiled classes are kept across runs
 *       ({@link TransformCache}; by default {@code $XDG_CACHE_HOME/weft/classes}, else
 *       {@code ~/.cache/weft/classes});</li>
 *   <li>{@code cachesize=SIZE}: the bound on that folder ({@code 256m}).</li>
 * </ul>
 *
 * @param cacheDir      the folder of the cross-run cache of compiled classes, or {@code null} for none
 * @param cacheBytesMax the bound on its size
 */
public record AgentOptions(PolicyRules rules, String report, Hook hook, int chunk, boolean verify,
                           boolean stripMining, boolean recursionEntries, Path cacheDir, long cacheBytesMax) {
    /** {@link #chunk()} when none is given: chunks sized by the body ({@link StripMining#chunkFor}). */
    public static final int CHUNK_BY_BODY = 0;
    /** The least chunk sized by the body, and what a body of {@link StripMining#WORK_FACTOR} instructions gets. */
    public static final int CHUNK_DEFAULT = 1024;
    public static final int CHUNK_MAX = 1 << 16;

    /** The same options with checks calling {@code owner.poll()} instead of {@code AgentHooks.poll()}. */
    public AgentOptions withHookOwner(java.lang.constant.ClassDesc owner) {
        return new AgentOptions(rules, report, new Hook(hook.style(), owner), chunk, verify, stripMining,
                recursionEntries, cacheDir, cacheBytesMax);
    }

    /** Options with no rules: application classes get {@code backedge}. */
    public static AgentOptions defaults() {
        return parse(null);
    }

    /**
     * Parses an agent argument string ({@code null} or empty for the defaults).
     *
     * @throws IllegalArgumentException naming the bad item and how to write it
     */
    public static AgentOptions parse(String args) {
        List<Rule> rules = new ArrayList<>();
        List<String> instrumentGlobs = new ArrayList<>();
        Policy dflt = Policy.BACKEDGE;
        String report = null;
        Hook hook = Hook.of(Hook.Style.CALL);
        int chunk = CHUNK_BY_BODY;
        boolean verify = true;
        boolean stripMining = true;
        boolean recursionEntries = true;
        Path cacheDir = defaultCacheDir();
        long cacheBytesMax = TransformCache.SIZE_BYTES_DEFAULT;
        if (args != null && !args.isBlank()) {
            for (String raw : args.split(",")) {
                String item = raw.strip();
                if (item.isEmpty()) {
                    continue;
                }
                int eq = item.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("agent argument '" + item + "' is not KEY=VALUE or GLOB=POLICY;"
                            + " for example instrument=com.example.** or com.example.**=backedge");
                }
                String key = item.substring(0, eq).strip();
                String value = item.substring(eq + 1).strip();
                switch (key) {
                    case "instrument" -> instrumentGlobs.add(value);
                    case "default" -> dflt = Policy.parse(value);
                    case "report" -> report = value;
                    case "hook" -> hook = Hook.of(Hook.parseStyle(value));
                    case "chunk" -> chunk = parseChunk(value);
                    case "verify" -> verify = parseBoolean("verify", value);
                    case "stripmine" -> stripMining = parseBoolean("stripmine", value);
                    case "recursion" -> recursionEntries = parseBoolean("recursion", value);
                    case "config" -> readConfig(Path.of(value), rules);
                    case "cache" -> cacheDir = value.equals("off") ? null : Path.of(value);
                    case "cachesize" -> cacheBytesMax = parseCacheSize(value);
                    default -> rules.add(Rule.parse(item, rules.size(), "agent argument"));
                }
            }
        }
        for (int k = 0; k < rules.size(); k++) {
            if (rules.get(k).glob().equals("default")) {
                dflt = rules.get(k).policy();
                rules.remove(k--);
            }
        }
        for (String glob : instrumentGlobs) {
            rules.add(Rule.of(glob, dflt.instruments() ? dflt : Policy.BACKEDGE, rules.size(), "instrument="));
        }
        return new AgentOptions(new PolicyRules(rules, dflt), report, hook, chunk, verify, stripMining,
                recursionEntries, cacheDir, cacheBytesMax);
    }

    /** {@code $XDG_CACHE_HOME/weft/classes}, else {@code ~/.cache/weft/classes}, else none. */
    static Path defaultCacheDir() {
        try {
            String xdg = System.getenv("XDG_CACHE_HOME");
            if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
                return Path.of(xdg, "weft", "classes");
            }
            String home = System.getProperty("user.home");
            return home == null || home.isBlank() ? null : Path.of(home, ".cache", "weft", "classes");
        } catch (RuntimeException e) {
            return null; // no usable folder: no cache
        }
    }

    private static long parseCacheSize(String value) {
        long v;
        try {
            v = dev.weft.internal.budget.ByteSizes.parse(value, "cachesize");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad cachesize=" + value + "; write a size such as 64m or 1g ("
                    + e.getMessage() + ")", e);
        }
        if (v < 1 << 20) {
            throw new IllegalArgumentException("cachesize=" + value + " is too small; give at least 1m, or cache=off"
                    + " for no cache");
        }
        return v;
    }

    private static void readConfig(Path file, List<Rule> rules) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read agent config file " + file.toAbsolutePath() + " ("
                    + e + "); check the path given as config=PATH");
        }
        for (int ln = 0; ln < lines.size(); ln++) {
            String line = lines.get(ln).strip();
            int hash = line.indexOf(" #");
            if (line.startsWith("#") || line.isEmpty()) {
                continue;
            }
            if (hash >= 0) {
                line = line.substring(0, hash).strip();
            }
            try {
                rules.add(Rule.parse(line.replace(" ", ""), rules.size(), "rule"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + (ln + 1) + ": " + e.getMessage(), e);
            }
        }
    }

    private static int parseChunk(String value) {
        try {
            int c = Integer.parseInt(value);
            if (c >= 16 && c <= CHUNK_MAX) {
                return c;
            }
        } catch (NumberFormatException ignored) {
            // fall through to the message
        }
        throw new IllegalArgumentException("bad chunk=" + value + "; write a whole number of loop iterations from 16 to "
                + CHUNK_MAX + " (by default the chunk is sized by the loop body, " + CHUNK_DEFAULT + " to "
                + CHUNK_DEFAULT * StripMining.GROWTH_MAX + ")");
    }

    private static boolean parseBoolean(String key, String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("bad " + key + "=" + value + "; write " + key + "=true or "
                    + key + "=false");
        };
    }
}
