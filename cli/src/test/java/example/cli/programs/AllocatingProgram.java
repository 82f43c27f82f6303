package example.cli.programs;

import java.util.ArrayList;
import java.util.List;

/** A program that knows nothing of Weft and holds on to memory without bound; prints from its finally block. */
public final class AllocatingProgram {
    public static void main(String[] args) {
        List<long[]> held = new ArrayList<>();
        try {
            System.out.println("started");
            System.out.flush();
            while (true) {
                held.add(new long[4096]);
            }
        } finally {
            int n = held.size();
            held.clear();
            System.out.println("finally ran after " + n + " arrays");
            System.out.flush();
        }
    }
}
