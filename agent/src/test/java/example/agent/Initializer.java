package example.agent;

/** A static initializer that calls a method with a loop: the loop has its checks, the initializer has none. */
public class Initializer {
    public static final long TABLE_SUM = sum(100_000);

    public static long sum(int n) {
        long s = 0;
        int i = 0;
        while (i < n) {
            s += i;
            i += 1 + (i & 0);
        }
        return s;
    }

    public static long tableSum() {
        return TABLE_SUM;
    }
}
