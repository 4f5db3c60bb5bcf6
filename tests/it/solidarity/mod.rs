//! The solidarity network between real instances: calls for support travel to
//! the chapters that follow, members pledge at home, and only chapters' totals
//! travel back.

mod calls;
mod strikes;
mod unions;
