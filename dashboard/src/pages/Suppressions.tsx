export function Suppressions() {
  return (
    <section>
      <h1>Suppressions</h1>
    </section>
  );
}
