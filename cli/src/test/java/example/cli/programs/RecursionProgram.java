package example.cli.programs;

/**
 * An unmodified program that recurses without a loop: naive Fibonacci, self-recursive ({@code fib}) or mutually
 * recursive ({@code mutual}: {@code ping} and {@code pong} call each other). fib(60) makes about 10^12 calls.
 */
public final class RecursionProgram {
    static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }

    static long ping(int n) {
        return n < 2 ? n : pong(n - 1) + pong(n - 2);
    }

    static long pong(int n) {
        return n < 2 ? n : ping(n - 1) + ping(n - 2);
    }

    public static void main(String[] args) {
        try {
            System.out.println("started");
            System.out.flush();
            System.out.println("returned " + (args[0].equals("mutual") ? ping(60) : fib(60)));
        } finally {
            System.out.println("finally ran");
            System.out.flush();
        }
    }
}
