package example.cli.programs;

import java.util.ArrayList;
import java.util.List;

/**
 * A program that knows nothing of Weft and holds on to memory without bound, in arrays of {@code args[0]} longs
 * (default 4096: 32 KiB); prints from its finally block.
 */
public final class AllocatingProgram {
    public static void main(String[] args) {
        int longs = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        List<long[]> held = new ArrayList<>();
        try {
            System.out.println("started");
            System.out.flush();
            while (true) {
                held.add(new long[longs]);
            }
        } finally {
            int n = held.size();
            held.clear();
            System.out.println("finally ran after " + n + " arrays");
            System.out.flush();
        }
    }
}
