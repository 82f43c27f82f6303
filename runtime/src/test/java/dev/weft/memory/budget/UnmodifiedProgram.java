package dev.weft.memory.budget;

import java.util.ArrayList;
import java.util.List;

/** A program that knows nothing of Weft and allocates without bound: run by {@code weft run --soft-limit}. */
public final class UnmodifiedProgram {
    public static void main(String[] args) {
        List<long[]> held = new ArrayList<>();
        try {
            while (true) {
                held.add(new long[4096]);
            }
        } finally {
            int n = held.size();
            held.clear();
            System.out.println("finally ran after " + n + " arrays");
        }
    }
}
