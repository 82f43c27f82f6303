package example.startup;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;

/**
 * The start-up benchmark's program: a program's first Jackson {@code ObjectMapper} and one round trip of a small
 * object graph (records, a list, a map) to JSON and back. Start-up is nearly all of its time: class loading, the
 * mapper's introspection of the types, and (under the agent) the transformation of every class it loads.
 *
 * <p>Run with {@code java -cp "bench/target/weft-bench-0.1.0-startup.jar:bench/target/startup-lib/*"
 * example.startup.JsonRoundTrip}, and under Weft with {@code ./weft run -cp
 * "bench/target/weft-bench-0.1.0-startup.jar:bench/target/startup-lib/*" example.startup.JsonRoundTrip}.
 *
 * <p>It prints the JSON and exits 0 when the object read back equals the one written, 1 otherwise. It lives outside
 * {@code dev.weft} because the agent never instruments Weft's own packages.
 */
public final class JsonRoundTrip {
    private JsonRoundTrip() {}

    /** A line of an order. */
    public record Line(String sku, int quantity, long priceCents) {}

    /** An order: the graph that goes to JSON and back. */
    public record Order(long id, String customer, List<Line> lines, Map<String, String> tags, boolean paid) {}

    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        Order order = new Order(42, "Ada", List.of(new Line("tea", 3, 450), new Line("cake", 1, 1200)),
                Map.of("channel", "web"), true);
        String json = mapper.writeValueAsString(order);
        Order back = mapper.readValue(json, Order.class);
        System.out.println(json);
        if (!back.equals(order)) {
            System.err.println("round trip changed the order: " + back);
            System.exit(1);
        }
    }
}
