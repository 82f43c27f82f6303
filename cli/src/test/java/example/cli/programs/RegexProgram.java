package example.cli.programs;

import java.util.regex.Pattern;

/**
 * Catastrophic backtracking inside java.util.regex: {@code (.*a){20}} against a's followed by a character that makes
 * the match fail tries every way to split the a's into 20 groups (about C(n, 20) steps: 1.4 s at n = 24 on JDK 25,
 * far beyond any test at n = 64). The classic {@code (a+)+b} no longer works as an example: since JDK 9 the regex
 * engine memoizes that shape and fails fast.
 */
public final class RegexProgram {
    public static void main(String[] args) {
        String input = "a".repeat(Integer.parseInt(args[0])) + "!";
        try {
            System.out.println("started");
            System.out.flush();
            System.out.println("matched=" + Pattern.compile("(.*a){20}").matcher(input).matches());
        } finally {
            System.out.println("finally ran");
            System.out.flush();
        }
    }
}
