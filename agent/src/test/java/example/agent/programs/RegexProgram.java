package example.agent.programs;

import java.util.regex.Pattern;

/** Catastrophic backtracking: (a+)+b against a's without a b takes exponential time inside java.util.regex. */
public final class RegexProgram {
    public static void main(String[] args) {
        String input = "a".repeat(Integer.parseInt(args[0])) + "c";
        try {
            System.out.println("started");
            System.out.flush();
            System.out.println("matched=" + Pattern.compile("(a+)+b").matcher(input).matches());
        } finally {
            System.out.println("finally ran");
            System.out.flush();
        }
    }
}
