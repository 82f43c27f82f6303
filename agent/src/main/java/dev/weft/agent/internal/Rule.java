package dev.weft.agent.internal;

import java.util.regex.Pattern;

/**
 * One "these classes or methods get this policy" rule, written {@code GLOB=POLICY}.
 *
 * <p>Glob syntax (dots, as in Java source):
 * <ul>
 *   <li>{@code com.example.**}: every class in {@code com.example} and its sub-packages;</li>
 *   <li>{@code com.example.*}: the classes directly in {@code com.example};</li>
 *   <li>{@code com.example.Parser}: one class and its nested classes;</li>
 *   <li>{@code com.example.Parser#parse}: the methods named {@code parse} of that class ({@code #*} for all).</li>
 * </ul>
 * {@code *} inside a name matches any characters except a dot. The most specific rule wins: a method rule over
 * a class rule, then the glob with the longer literal text; on a tie the later rule wins.
 *
 * @param glob        the glob as written
 * @param policy      the policy it selects
 * @param specificity higher wins
 * @param order       position among all rules, later wins ties
 */
record Rule(String glob, Policy policy, int specificity, int order, Pattern classPattern, Pattern methodPattern) {

    private static final Pattern VALID = Pattern.compile("[\\p{javaJavaIdentifierPart}.*$]+(#[\\p{javaJavaIdentifierPart}*$<>]+)?");

    /**
     * Parses {@code GLOB=POLICY}.
     *
     * @param source where the text came from, for error messages (for example {@code "agent argument"})
     */
    static Rule parse(String text, int order, String source) {
        int eq = text.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException(source + " '" + text
                    + "' has no policy; write GLOB=POLICY, for example com.example.**=backedge");
        }
        return of(text.substring(0, eq).strip(), Policy.parse(text.substring(eq + 1)), order, source);
    }

    static Rule of(String glob, Policy policy, int order, String source) {
        if (glob.isEmpty() || !VALID.matcher(glob).matches() || glob.contains("***") || glob.contains("..")
                || glob.startsWith(".") || glob.endsWith(".")) {
            throw new IllegalArgumentException(source + ": bad glob '" + glob + "'; write a package or class name"
                    + " with dots, optionally ending in .* (classes of one package) or .** (with sub-packages),"
                    + " optionally followed by #method, for example com.example.** or com.example.Parser#parse");
        }
        int hash = glob.indexOf('#');
        String classGlob = hash < 0 ? glob : glob.substring(0, hash);
        String methodGlob = hash < 0 ? null : glob.substring(hash + 1);
        Pattern classPattern = Pattern.compile(classRegex(classGlob));
        Pattern methodPattern = methodGlob == null ? null
                : Pattern.compile(methodGlob.replace("$", "\\$").replace("<", "\\<").replace(">", "\\>")
                        .replace("*", ".*"));
        int literal = glob.replace("*", "").length();
        int specificity = (methodGlob != null ? 1_000_000 : 0) + literal;
        return new Rule(glob, policy, specificity, order, classPattern, methodPattern);
    }

    private static String classRegex(String glob) {
        StringBuilder re = new StringBuilder();
        if (glob.endsWith(".**")) {
            return quote(glob.substring(0, glob.length() - 3)) + "\\..*";
        }
        re.append(quote(glob));
        if (!glob.endsWith("*")) {
            re.append("(\\$.*)?"); // a class rule covers its nested classes
        }
        return re.toString();
    }

    private static String quote(String s) {
        return s.replace(".", "\\.").replace("$", "\\$").replace("**", "\u0000").replace("*", "[^.]*")
                .replace("\u0000", ".*");
    }

    /** True if this rule covers the class, whatever the method. */
    boolean matchesClass(String className) {
        return classPattern.matcher(className).matches();
    }

    /** True if this rule is about methods, so it cannot decide a whole class. */
    boolean isMethodRule() {
        return methodPattern != null;
    }

    boolean matches(String className, String methodName) {
        return matchesClass(className) && (methodPattern == null || methodPattern.matcher(methodName).matches());
    }

    boolean beats(Rule other) {
        return other == null || specificity > other.specificity
                || (specificity == other.specificity && order > other.order);
    }

    @Override
    public String toString() {
        return glob + "=" + policy;
    }
}
