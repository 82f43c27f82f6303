package example.cli.programs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** An unmodified program whose loop calls into java.util: ArrayList and HashMap, forever until stopped. */
public final class CollectionsProgram {
    static volatile boolean stop;

    public static void main(String[] args) {
        List<Integer> list = new ArrayList<>();
        Map<Integer, Integer> counts = new HashMap<>();
        long i = 0;
        try {
            System.out.println("started");
            System.out.flush();
            while (!stop) {
                list.add((int) i);
                counts.merge((int) (i & 1023), 1, Integer::sum);
                if (list.size() == 4096) {
                    list.clear();
                }
                i++;
            }
        } finally {
            System.out.println("finally ran after " + (i > 0 ? "some" : "no") + " iterations");
            System.out.flush();
        }
    }
}
