package example.cli.programs;

import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/** An unmodified program that defines a hidden class from {@link HiddenSpinner}'s bytes and runs its loop. */
public final class HiddenClassProgram {
    public static void main(String[] args) throws Throwable {
        byte[] bytes;
        try (InputStream in = HiddenClassProgram.class.getResourceAsStream("HiddenSpinner.class")) {
            bytes = in.readAllBytes();
        }
        MethodHandles.Lookup hidden = MethodHandles.lookup().defineHiddenClass(bytes, true);
        Runnable spinner = (Runnable) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class))
                .invoke();
        System.out.println("started hidden=" + hidden.lookupClass().isHidden());
        System.out.flush();
        spinner.run();
        System.out.println("returned");
    }
}
