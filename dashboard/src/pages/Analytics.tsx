export function Analytics() {
  return (
    <section>
      <h1>Analytics</h1>
    </section>
  );
}
