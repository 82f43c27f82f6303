package example.agent;

import dev.weft.Uncancellable;

@Uncancellable
public class UncancellableClass {
    public static int loop(int n) {
        int c = 0;
        while (c < n) {
            c += 1 + (c & 0);
        }
        return c;
    }
}
