package example.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/** Fixtures that define hidden classes from {@link HiddenSpinner}'s class file, as application code would. */
public class HiddenClasses {
    /** The name of the class whose {@link HiddenSpinner#run} finally block ran last. */
    public static volatile String finallyRanIn;

    static byte[] spinnerBytes() {
        try (InputStream in = HiddenClasses.class.getResourceAsStream("HiddenSpinner.class")) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new instance of a hidden class defined from HiddenSpinner's bytes. */
    public static Runnable defineSpinner() throws Throwable {
        MethodHandles.Lookup hidden = MethodHandles.lookup().defineHiddenClass(spinnerBytes(), true);
        return (Runnable) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
    }

    /** The same through {@code defineHiddenClassWithClassData}; the class data is passed through. */
    public static Runnable defineSpinnerWithClassData(Object data) throws Throwable {
        MethodHandles.Lookup hidden = MethodHandles.lookup().defineHiddenClassWithClassData(spinnerBytes(), data,
                true);
        if (MethodHandles.classData(hidden, "_", Object.class) != data) {
            throw new AssertionError("class data lost");
        }
        return (Runnable) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
    }
}
