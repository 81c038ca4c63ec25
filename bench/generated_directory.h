// The directory that milter-load generates for the benchmarks (--print-fixture):
// N users and S shared mailboxes, with the groups that give generated user i
//
//   Send As         on shared mailbox (i mod S), through nested groups,
//   Send on Behalf  on shared mailbox ((i + 1) mod S), as a direct member,
//   nothing         on shared mailbox ((i + 2) mod S),
//
// which is what milter-load checks every reply against. Two shapes:
//
//   flat  (bench/run)   Send As group -> team group -> users
//   deep  (bench/scale) Send As group -> department group -> team group -> users,
//         where a department holds every team t with t = d (mod P), P = S/5 when
//         that is at least 3 and divides S (so each user holds Send As on S/P
//         mailboxes, never on (i - 1) or (i - 2) mod S), else P = S; plus one
//         "division" group per 5,000 users (direct members, the largest groups)
//         holding Send As on its own division mailbox.
//
// Both are written in time and memory linear in N + S.
#ifndef SENDAS_BENCH_GENERATED_DIRECTORY_H
#define SENDAS_BENCH_GENERATED_DIRECTORY_H

#include <ostream>
#include <string>

struct DirectoryShape {
    long users = 0;
    long mailboxes = 50;
    bool deep = false;

    long departments() const;  // P (deep shape only)
    long divisions() const;    // one per division_size users (deep shape only)
    // (mailbox, right, user) triples that `sendasctl audit` lists for the
    // generated rights groups: what a complete audit must find.
    long holders() const;
    static constexpr long division_size = 5000;
};

std::string generated_login(long i);    // buser00000 ...
std::string generated_mailbox(long k);  // shared000 ...

// LDIF of the generated entries, to append to tests/integration/fixture.ldif
// (which has the base and the ou= containers).
void print_directory(const DirectoryShape &shape, std::ostream &out);

#endif
