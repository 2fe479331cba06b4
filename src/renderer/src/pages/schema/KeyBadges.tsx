/** PK and FK marks beside a column name. */
export function KeyBadges({ pk, fk }: { pk: boolean; fk: boolean }) {
  return (
    <>
      {pk && (
        <span className="key-badge key-pk" title="primary key">
          PK
        </span>
      )}
      {fk && (
        <span className="key-badge key-fk" title="foreign key">
          FK
        </span>
      )}
    </>
  );
}
