package dev.weft.agent.internal;

import java.util.List;

/**
 * Decides the policy of each class and method from the rules of agent arguments and the config file.
 *
 * <p>Defaults: classes of the application (loaded by any loader other than the boot and platform loaders) get the
 * default policy ({@code backedge} unless set); JDK classes get none unless a rule opts them in. Some packages are
 * refused whatever the rules say ({@link #refusalReason}).
 */
public final class PolicyRules {
    /** Prefixes of JDK packages: not instrumented unless a rule names them. */
    static final List<String> JDK_PREFIXES = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.", "org.w3c.",
            "org.xml.", "org.ietf.", "org.jcp.");

    private final List<Rule> rules;
    private final Policy defaultPolicy;

    PolicyRules(List<Rule> rules, Policy defaultPolicy) {
        this.rules = List.copyOf(rules);
        this.defaultPolicy = defaultPolicy;
    }

    List<Rule> rules() {
        return rules;
    }

    Policy defaultPolicy() {
        return defaultPolicy;
    }

    /**
     * Why a class must never be instrumented, or {@code null} if it may be.
     *
     * <ul>
     *   <li>Weft's own classes: the check would call itself.</li>
     *   <li>{@code java.lang} and its sub-packages: class loading, strings, threads and the
     *       {@code invoke} machinery run under every check; a check there would re-enter itself.</li>
     *   <li>{@code java.util.concurrent}: locks and queues keep their invariants across loops that spin
     *       (AQS); a throw there leaves a lock half-acquired, the exact {@code Thread.stop} hazard.</li>
     *   <li>{@code jdk.internal}, {@code sun}, {@code com.sun}: JDK machinery with the same hazards.</li>
     * </ul>
     */
    static String refusalReason(String className) {
        if (className.startsWith("dev.weft.")) {
            return "Weft's own classes are never instrumented (the check would call itself)";
        }
        for (String p : List.of("java.lang.", "java.util.concurrent.", "jdk.internal.", "sun.", "com.sun.",
                "java.security.", "java.io.", "java.nio.", "java.net.", "java.time.")) {
            if (className.startsWith(p)) {
                return "package " + p + "** is core JDK machinery that the check itself may use, or that"
                        + " keeps invariants across loops (locks, I/O buffers); it is never instrumented";
            }
        }
        return null;
    }

    static boolean isJdkName(String className) {
        return JDK_PREFIXES.stream().anyMatch(className::startsWith);
    }

    /** The class's policy (what applies to methods no method rule names). */
    public Policy classPolicy(String className, boolean applicationClass) {
        Rule best = null;
        for (Rule r : rules) {
            if (!r.isMethodRule() && r.matchesClass(className) && r.beats(best)) {
                best = r;
            }
        }
        if (best != null) {
            return best.policy();
        }
        return applicationClass && !isJdkName(className) ? defaultPolicy : Policy.NONE;
    }

    /** True if some method rule could give a method of this class a policy other than {@code none}. */
    public boolean anyMethodRuleInstruments(String className) {
        for (Rule r : rules) {
            if (r.isMethodRule() && r.matchesClass(className) && r.policy().instruments()) {
                return true;
            }
        }
        return false;
    }

    /** The policy of one method: the best method rule, else the class policy. */
    Policy methodPolicy(String className, String methodName, Policy classPolicy) {
        Rule best = null;
        for (Rule r : rules) {
            if (r.isMethodRule() && r.matches(className, methodName) && r.beats(best)) {
                best = r;
            }
        }
        return best != null ? best.policy() : classPolicy;
    }

    /** True if some rule opts a JDK package in: the agent then needs to reach boot classes. */
    public boolean optsInJdk() {
        for (Rule r : rules) {
            if (r.policy().instruments() && isJdkName(r.glob())) {
                return true;
            }
        }
        return false;
    }
}
